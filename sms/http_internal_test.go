package sms

import (
	"testing"
	"time"
)

func TestDefaultClient(t *testing.T) {
	if got, want := defaultClient.Timeout, 10*time.Second; got != want {
		t.Errorf("default client timeout = %v, want %v", got, want)
	}
}
