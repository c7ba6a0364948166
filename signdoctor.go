package llgate

import (
	"sort"
	"strings"
)

// SignCheck is what the pipeline records of a signature check, for the
// console's signature doctor. It holds no personal data: the sign source is
// masked, and each value is kept as its mask and a keyed fingerprint, so a
// source the user pastes can be compared with it value by value.
type SignCheck struct {
	SignType string `json:"sign_type,omitempty"`
	Verified bool   `json:"verified"`
	Keys     int    `json:"keys"`             // merchant keys tried
	Legacy   string `json:"legacy,omitempty"` // the legacy variant that verified, if one did
	Source   string `json:"source"`           // masked, value by value (MaskedSource)
	// Variants are the legacy sign sources (masked) that differ from
	// Source, when they were tried: Source did not verify.
	Variants []string    `json:"variants,omitempty"`
	Values   []SignValue `json:"values"`
}

// SignValue is one k=v of the sign source llgate built.
type SignValue struct {
	Key    string `json:"k"`
	Masked string `json:"v"`            // as MaskField shows it
	FP     string `json:"fp,omitempty"` // keyed fingerprint of the value; "" when Masked is the value itself
	Len    int    `json:"n"`            // bytes
}

// matches says whether s is the value v records: by its fingerprint, or,
// for a value the mask left as it is, by the value.
func (v SignValue) matches(s string, fp func(string) string) bool {
	if v.FP == "" {
		return s == v.Masked
	}
	return fp(s) == v.FP
}

// SignDiff is where a pasted sign source first differs from llgate's.
type SignDiff struct {
	Same    bool
	Offset  int    // byte offset in the pasted source
	Field   string // the field it falls in ("" between fields)
	Explain string
}

// CompareSource compares a sign source the user pasted (what their client
// signed) with the one llgate built, value by value through fp (the same
// keyed fingerprint the check recorded), and says where they first differ.
func (c *SignCheck) CompareSource(pasted string, fp func(string) string) SignDiff {
	pasted = strings.TrimRight(pasted, "\r\n")
	var pos int
	for i, v := range c.Values {
		if i > 0 {
			if pos >= len(pasted) || pasted[pos] != '&' {
				return SignDiff{Offset: pos, Explain: "llgate's source goes on with &" + v.Key + "=…; yours " + endOrByte(pasted, pos)}
			}
			pos++
		}
		prefix := v.Key + "="
		if !strings.HasPrefix(pasted[pos:], prefix) {
			off := pos + commonPrefix(pasted[pos:], prefix)
			return SignDiff{Offset: off, Field: v.Key, Explain: "llgate's source has the field " + v.Key +
				" here (keys sorted, empty values left out); yours has " + fieldAt(pasted, pos)}
		}
		pos += len(prefix)
		// Where the value ends: at the next '&' or the end; if llgate's
		// value holds an '&' itself, before the next field llgate has.
		next := len(pasted)
		if j := strings.IndexByte(pasted[pos:], '&'); j >= 0 {
			next = pos + j
		}
		if i+1 < len(c.Values) && strings.Contains(v.Masked, "&") {
			if j := strings.Index(pasted[pos:], "&"+c.Values[i+1].Key+"="); j >= 0 {
				next = pos + j
			}
		}
		got := pasted[pos:next]
		if !v.matches(got, fp) {
			off := pos
			if v.Masked == got || !strings.Contains(v.Masked, "*") {
				off += commonPrefix(got, v.Masked)
			}
			return SignDiff{Offset: off, Field: v.Key, Explain: "the value of " + v.Key + " differs (yours " +
				itoa(len(got)) + " bytes, llgate's " + itoa(v.Len) + " bytes); look for spaces, escaping, encoding or a number's form"}
		}
		pos = next
	}
	if pos < len(pasted) {
		return SignDiff{Offset: pos, Explain: "yours goes on after llgate's ends: " + fieldAt(pasted, pos) + " (an empty value, or sign itself, must be left out)"}
	}
	return SignDiff{Same: true, Explain: "the sources are the same: the signature was made with another key or sign type"}
}

// NewSignValues lists the values of the sign source llgate builds from
// fields (keys sorted, empty values and sign left out), masked (MaskField)
// and, where the mask hides something, fingerprinted with fp.
func NewSignValues(fields map[string]string, fp func(string) string) []SignValue {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" && k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]SignValue, 0, len(keys))
	for _, k := range keys {
		v := fields[k]
		sv := SignValue{Key: k, Masked: MaskField(k, v), Len: len(v)}
		if sv.Masked != v {
			sv.FP = fp(v)
		}
		out = append(out, sv)
	}
	return out
}

// MaskedSource joins masked values into the sign source they come from,
// masked: what MaskText would make of the source, with each value's end
// known.
func MaskedSource(vs []SignValue) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(v.Masked)
	}
	return b.String()
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func endOrByte(s string, pos int) string {
	if pos >= len(s) {
		return "ends there"
	}
	return "has " + fieldAt(s, pos)
}

// fieldAt names what stands at pos, masked.
func fieldAt(s string, pos int) string {
	rest := s[pos:]
	if i := strings.IndexByte(rest, '&'); i >= 0 {
		rest = rest[:i]
	}
	if len(rest) > 40 {
		rest = rest[:40] + "…"
	}
	return "\"" + MaskText(rest) + "\""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
