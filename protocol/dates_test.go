package protocol

import (
	"errors"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"20261122100000", time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)},
		{"20240229235959", time.Date(2024, 2, 29, 15, 59, 59, 0, time.UTC)},
		{"20260101000000", time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseTime("dt_order", tc.in)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v UTC", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "2026112210000", "202611221000000", "20230229000000", "20261131000000", "20261322000000",
		"20261100000000", "20261122240000", "20261122106000", "20261122100060", "2026-11-22 10:0",
		"2026112210000a", "+2026112210000", " 20261122100000", "２０２６１１２２１０００００",
	} {
		got, err := ParseTime("dt_order", in)
		var e *llgate.Error
		if !errors.As(err, &e) || e.Code != llgate.CodeBadField || e.Field != "dt_order" {
			t.Errorf("ParseTime(%q) = %v, %v; want a 1004 naming dt_order", in, got, err)
		}
	}
}
