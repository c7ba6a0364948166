package protocol

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldKey maps every key to one representative of its case-insensitive class,
// the same classes strings.EqualFold uses, so "Sign", "SIGN" and "ſign" collide
// with "sign". The Java demo sorts and looks keys up case-insensitively; two
// keys that differ only in case would be ambiguous there.
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// The smallest rune of an ASCII letter's orbit is its upper case
		// (the Kelvin sign and the long s are larger), so this agrees with
		// foldRune.
		return strings.ToUpper(k)
	}
	var b strings.Builder
	for _, r := range k {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune returns the smallest rune of r's simple case-folding orbit.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < least {
			least = f
		}
	}
	return least
}
