package sms_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/llgate/llgate/sms"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	if err := (sms.Log{Logger: logger}).Send(t.Context(), msgA); err != nil {
		t.Fatal(err)
	}
	assertClean(t, buf.String(), msgA)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	for key, want := range map[string]any{
		"msg":         "sms sent",
		"oid_partner": oidA,
		"mobile":      "138****8000",
		"code":        "******",
	} {
		if got := line[key]; got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if _, ok := line["text"]; ok {
		t.Error("the text is logged")
	}
}
