package protocol

import (
	"regexp"
	"testing"
)

func TestIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func() string
		re   *regexp.Regexp
	}{
		{"NoAgree", NewNoAgree, regexp.MustCompile(`^[1-9][0-9]{15}$`)},
		{"OidPaybill", NewOidPaybill, regexp.MustCompile(`^[1-9][0-9]{15}$`)},
		{"Token", NewToken, regexp.MustCompile(`^[0-9A-F]{32}$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			var first [10]int
			for range 2000 {
				id := tc.gen()
				if !tc.re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tc.re)
				}
				if seen[id] {
					t.Fatalf("%q drawn twice", id)
				}
				seen[id] = true
				if c := id[1]; c >= '0' && c <= '9' {
					first[c-'0']++
				}
			}
			if tc.name != "Token" {
				// 2000 draws over 10 digits: each about 200; 100 is far outside chance.
				for d, n := range first {
					if n < 100 {
						t.Errorf("second digit %d drawn %d times in 2000", d, n)
					}
				}
			}
		})
	}
}
