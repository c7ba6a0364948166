package protocol

import (
	"slices"
	"strings"
)

// SignSource builds the text a request's signature covers: every top-level
// key except "sign" (and except those in exclude) whose value is non-empty per
// Get, sorted bytewise, as "k=v" joined by "&". Values are used verbatim: no
// trimming, no escaping, numbers as their literal JSON text and nested
// containers as their raw text, because that is what every client signs
// (COMPAT.md). The Java demo sorts case-insensitively, which is the same order
// for the API's lower-case keys; Decode refuses keys that differ only in case.
func SignSource(o *Object, exclude ...string) string {
	kv := make([][2]string, 0, len(o.keys))
	for _, k := range o.keys {
		if k == "sign" || slices.Contains(exclude, k) {
			continue
		}
		if v := o.Get(k); v != "" {
			kv = append(kv, [2]string{k, v})
		}
	}
	return joinSorted(kv)
}

// SignSourceMap is SignSource over a map, for the answers llgate builds.
func SignSourceMap(m map[string]string, exclude ...string) string {
	kv := make([][2]string, 0, len(m))
	for k, v := range m {
		if k == "sign" || v == "" || slices.Contains(exclude, k) {
			continue
		}
		kv = append(kv, [2]string{k, v})
	}
	return joinSorted(kv)
}

// LegacySignSources returns the sign sources two families of old clients
// produce where they differ from SignSource(o), for a logged fallback
// verification (COMPAT.md):
//   - PHP <= 7.4 filters with `$val == ""`, which is true for the number 0
//     (and for false), so "offset":0 is left out;
//   - a 2013 Java SDK keeps empty strings and signs them as "k=".
func LegacySignSources(o *Object) []string {
	base := SignSource(o)
	var out []string
	add := func(s string) {
		if s != base && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}

	var php [][2]string
	var java [][2]string
	for _, k := range o.keys {
		if k == "sign" {
			continue
		}
		v := o.vals[k]
		if v.Text != "" && !phpLooseEmpty(v) {
			php = append(php, [2]string{k, v.Text})
		}
		if v.Text != "" || v.Kind == KindString {
			java = append(java, [2]string{k, v.Text})
		}
	}
	add(joinSorted(php))
	add(joinSorted(java))
	return out
}

func phpLooseEmpty(v Value) bool {
	return v.Kind == KindNumber && isZeroNumber(v.Text) || v.Kind == KindBool && v.Text == "false"
}

// isZeroNumber reports whether a JSON number literal is zero (0, -0, 0.00,
// 0e5), the values PHP 7 compares equal to "".
func isZeroNumber(lit string) bool {
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case c == 'e' || c == 'E':
			return true
		case c >= '1' && c <= '9':
			return false
		}
	}
	return true
}

func joinSorted(kv [][2]string) string {
	slices.SortFunc(kv, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	n := 0
	for _, p := range kv {
		n += len(p[0]) + len(p[1]) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range kv {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
	}
	return b.String()
}
