package llgate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redact makes text from outside fit to keep or log: every value in known
// (what llgate sent that the text may echo: card, ID and phone numbers,
// names, a code) is replaced by its mask, in plain and in JSON- and
// URL-escaped form; then MaskText; control characters become spaces; and
// the result is cut to at most max bytes on a character boundary (max <= 0:
// no cut). It is always valid UTF-8 without NUL, so both stores take it.
func Redact(s string, max int, known ...string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, k := range known {
		if utf8.RuneCountInString(k) < 2 {
			continue // too short to be personal, and would mask everything
		}
		m := maskValue(k)
		for _, form := range escapedForms(k) {
			s = strings.ReplaceAll(s, form, m)
		}
	}
	s = MaskText(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if max > 0 && len(s) > max {
		for max > 0 && !utf8.RuneStart(s[max]) {
			max--
		}
		s = s[:max]
	}
	return s
}

// maskValue masks a known value of unknown kind: digits keep their last 4
// (never more than a third), other text its first character.
func maskValue(v string) string {
	switch {
	case allDigits(v) && len(v) == 11:
		return MaskPhone(v)
	case allDigits(v) && len(v) >= 12:
		return maskDigits(v)
	case allDigits(v):
		return stars(len(v))
	}
	return MaskName(v)
}

// escapedForms are the spellings a receiver may echo v in: as is, with
// JSON's \u escapes for non-ASCII (PHP's json_encode default, either hex
// case), and URL-encoded (a form echo).
func escapedForms(v string) []string {
	forms := []string{v}
	var lower, upper strings.Builder
	ascii := true
	for _, r := range v {
		if r < utf8.RuneSelf {
			lower.WriteRune(r)
			upper.WriteRune(r)
			continue
		}
		ascii = false
		for _, u := range utf16Units(r) {
			lower.WriteString(`\u` + hex4(u, "0123456789abcdef"))
			upper.WriteString(`\u` + hex4(u, "0123456789ABCDEF"))
		}
	}
	if !ascii {
		forms = append(forms, lower.String(), upper.String(), urlEscape(v))
	}
	return forms
}

func utf16Units(r rune) []rune {
	if r < 0x10000 {
		return []rune{r}
	}
	r -= 0x10000
	return []rune{0xD800 + r>>10, 0xDC00 + r&0x3FF}
}

func hex4(u rune, digits string) string {
	return string([]byte{digits[u>>12&15], digits[u>>8&15], digits[u>>4&15], digits[u&15]})
}

// urlEscape percent-encodes every byte that is not unreserved (RFC 3986),
// upper-case hex, as PHP's urlencode and Java's URLEncoder do for non-ASCII.
func urlEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string("0123456789ABCDEF"[c>>4]) + string("0123456789ABCDEF"[c&15]))
	}
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
