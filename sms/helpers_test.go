package sms_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/llgate/llgate"
)

var longDigits = regexp.MustCompile(`[0-9]{11,}`)

// assertClean fails when s holds m's code or text, five consecutive digits of
// m's phone (its mask, 138****8000, shows at most four in a row), or any
// other run of 11 or more digits than m's oid_partner.
func assertClean(t *testing.T, s string, m llgate.SMS) {
	t.Helper()
	for _, secret := range []string{m.Code, m.Text} {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%q contains %q", s, secret)
		}
	}
	for i := 0; i+5 <= len(m.Mobile); i++ {
		if strings.Contains(s, m.Mobile[i:i+5]) {
			t.Errorf("%q contains %q of the phone", s, m.Mobile[i:i+5])
		}
	}
	if m.OidPartner != "" {
		s = strings.ReplaceAll(s, m.OidPartner, "")
	}
	if d := longDigits.FindString(s); d != "" {
		t.Errorf("%q holds the digit run %q", s, d)
	}
}
