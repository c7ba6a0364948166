package issuer

import (
	"fmt"
	"testing"
)

func TestOutcome(t *testing.T) {
	for _, tc := range []struct{ cardNo, want string }{
		{"6222021234567800002", "0000"},
		{"6222020000000097048", "9704"},
		{"12345", "1234"},
		{"1234", ""},
		{"", ""},
	} {
		if got := Outcome(tc.cardNo); got != tc.want {
			t.Errorf("Outcome(%q) = %q, want %q", tc.cardNo, got, tc.want)
		}
	}
}

// TestOutcomeTables checks every four-digit outcome against CONTRACT.md §4.
func TestOutcomeTables(t *testing.T) {
	bind := map[string]bool{}
	for _, c := range []string{"1101", "1102", "1105", "1107", "1108", "1109", "1110", "1112", "1113", "1114",
		"1115", "1200", "1805", "9000", "9912", "9970", "9704"} {
		bind[c] = true
	}
	pay := map[string]bool{"6001": true, "1005": true, "1111": true, "9094": true, "9990": true, "9991": true, "2008": true}
	refund := map[string]bool{"9920": true}
	for _, tc := range []struct {
		name string
		fn   func(string) string
		set  map[string]bool
	}{
		{"Bind", BindOutcome, bind},
		{"Pay", PayOutcome, pay},
		{"Refund", RefundOutcome, refund},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := 0
			for n := range 10000 {
				outcome := fmt.Sprintf("%04d", n)
				card := mustTestCard(t, "622202", 19, 12345678, outcome)
				want := ""
				if tc.set[outcome] {
					want = outcome
					hits++
				}
				if got := tc.fn(card); got != want {
					t.Errorf("%s(%s) = %q, want %q", tc.name, card, got, want)
				}
			}
			if hits != len(tc.set) {
				t.Errorf("%d outcomes mapped, want %d", hits, len(tc.set))
			}
		})
	}
	if OutcomeSMSFails != "9704" || OutcomeProcessing != "2008" || OutcomeRefundFails != "9920" {
		t.Error("outcome constants changed")
	}
	// A too-short string has no outcome.
	if got := BindOutcome("1101"); got != "" {
		t.Errorf("BindOutcome(1101) = %q, want \"\"", got)
	}
}
