package llgate_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func fp(s string) string { h := sha256.Sum256([]byte("k" + s)); return hex.EncodeToString(h[:8]) }

func TestCompareSource(t *testing.T) {
	fields := map[string]string{"oid_partner": "201408071000001539", "card_no": "6222021234567800002",
		"sign_type": "RSA", "user_id": "u1", "name_goods": "M&M", "offset": "0"}
	c := &llgate.SignCheck{Values: llgate.NewSignValues(fields, fp)}
	ours := "card_no=6222021234567800002&name_goods=M&M&offset=0&oid_partner=201408071000001539&sign_type=RSA&user_id=u1"
	for _, tc := range []struct {
		name, pasted string
		same         bool
		field        string
		offset       int
	}{
		{"Same", ours, true, "", 0},
		{"SameWithNewline", ours + "\n", true, "", 0},
		{"CardDiffers", strings.Replace(ours, "800002", "800010", 1), false, "card_no", 8},
		{"UserIDDiffersAtTheEnd", strings.Replace(ours, "user_id=u1", "user_id=u2", 1), false, "user_id", len(ours) - 1},
		{"Unsorted", "oid_partner=201408071000001539&card_no=6222021234567800002", false, "card_no", 0},
		{"EmptyKept", strings.Replace(ours, "&offset=0", "&offset=0&platform=", 1), false, "oid_partner", strings.Index(ours, "&oid") + 1},
		{"SignIncluded", ours + "&sign=abc", false, "", len(ours)},
		{"NumberForm", strings.Replace(ours, "offset=0", "offset=0.0", 1), false, "offset", strings.Index(ours, "offset=") + 8},
	} {
		d := c.CompareSource(tc.pasted, fp)
		if d.Same != tc.same || d.Field != tc.field || d.Offset != tc.offset {
			t.Errorf("%s: got %+v, want same %v field %q offset %d", tc.name, d, tc.same, tc.field, tc.offset)
		}
		if strings.Contains(d.Explain, "6222021234567800002") || strings.Contains(d.Explain, "6222021234567800010") {
			t.Errorf("%s: the explanation shows a card number: %s", tc.name, d.Explain)
		}
	}
}
