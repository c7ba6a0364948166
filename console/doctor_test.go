package console

import (
	"strings"
	"testing"
)

// TestMarkFieldMasksEveryPart: wherever the first difference falls, even
// inside a key, no part shows a name, card or phone.
func TestMarkFieldMasksEveryPart(t *testing.T) {
	src := "acct_name=欧阳金丝雀&bind_mob=15987654321&card_no=6222020000000000018&oid_partner=201408071000000001"
	for off := 0; off <= len(src); off++ {
		if off < len(src) && src[off]&0xC0 == 0x80 {
			continue // not a byte a difference is reported at
		}
		b, at, a := markField(src, off)
		all := b + "|" + at + "|" + a
		for _, secret := range []string{"欧阳金丝雀", "15987654321", "6222020000000000018"} {
			if strings.Contains(all, secret) {
				t.Fatalf("offset %d shows %q: %s", off, secret, all)
			}
		}
		if !strings.Contains(at, "=") && off < len(src) {
			t.Fatalf("offset %d: the marked part %q is not a field", off, at)
		}
	}
}
