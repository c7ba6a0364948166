package llgate_test

import (
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// TestExpiry: a card is good through the end of its month in China time.
func TestExpiry(t *testing.T) {
	// 2026-11-30 15:59:59 UTC is 23:59:59 in China, still November.
	lastSecond := time.Date(2026, 11, 30, 15, 59, 59, 0, time.UTC)
	december := lastSecond.Add(time.Second)
	for _, tc := range []struct {
		valiDate string
		now      time.Time
		want     bool
	}{
		{"2611", lastSecond, false},
		{"2611", december, true},
		{"2612", december, false},
		{"2610", lastSecond, true},
		{"2701", lastSecond, false},
		{"2512", lastSecond, true},
		{"2002", lastSecond, true},
		{"9912", lastSecond, false},
	} {
		if got := llgate.ExpiredYYMM(tc.valiDate, tc.now); got != tc.want {
			t.Errorf("expired(%q, %s) = %v, want %v", tc.valiDate, tc.now, got, tc.want)
		}
	}
	for v, want := range map[string]bool{"2002": true, "1402": true, "0012": true, "2013": false, "2000": false,
		"202": false, "20202": false, "02/2": false, "20a2": false, "": false} {
		if got := llgate.ValidYYMM(v); got != want {
			t.Errorf("valid(%q) = %v, want %v", v, got, want)
		}
	}
}
