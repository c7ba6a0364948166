package protocol

import (
	"errors"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want llgate.Amount
	}{
		{"12", 1200},
		{"12.3", 1230},
		{"12.34", 1234},
		{"0.5", 50},
		{"0.01", 1},
		{"0.10", 10},
		{"1", 100},
		{"10.00", 1000},
		{"100000000", 100_000_000_00},
		{"100000000.00", 100_000_000_00},
		{"99999999.99", 99_999_999_99},
	} {
		got, err := ParseAmount("money_order", tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "0", "0.0", "0.00", "00", "-1", "-0.01", "+1", "1.234", "1e2", "1E2", ".5", "5.", ".",
		" 1", "1 ", "1 .00", "012", "00.5", "１２", "١٢", "1,000", "1_000", "0x10", "100000000.01",
		"1000000000", "99999999999999999999", "NaN", "Inf", "1..2", "1.2.3", "1.-2", "\u00a01",
	} {
		got, err := ParseAmount("money_order", in)
		var e *llgate.Error
		if !errors.As(err, &e) || e.Code != llgate.CodeBadField || e.Field != "money_order" {
			t.Errorf("ParseAmount(%q) = %d, %v; want a 1004 naming money_order", in, got, err)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		in   llgate.Amount
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {99, "0.99"}, {100, "1.00"}, {1230, "12.30"},
		{1234, "12.34"}, {100_000_000_00, "100000000.00"}, {-5, "-0.05"}, {-1234, "-12.34"},
	} {
		if got := FormatAmount(tc.in); got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
