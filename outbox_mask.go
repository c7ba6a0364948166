package llgate

import (
	"cmp"
	"encoding/json"
	"slices"
)

// personalValues returns the values of a notification body's personal
// fields (card_no, id_no, acct_name, info_order, ...: the fields the one
// masking policy masks), so that a receiver's answer echoing them is
// masked wherever it quotes them, whatever the key it puts them under.
// Longest first: a name inside info_order must not break its match.
func personalValues(body []byte) []string {
	fields, ok := flatStrings(body)
	if !ok {
		var all map[string]any
		if json.Unmarshal(body, &all) != nil {
			return nil
		}
		fields = fields[:0]
		for k, v := range all {
			if s, ok := v.(string); ok {
				fields = append(fields, [2]string{k, s})
			}
		}
	}
	var known []string
	for _, f := range fields {
		if f[1] != "" && maskerFor(f[0]) != nil {
			known = append(known, f[1])
		}
	}
	slices.SortFunc(known, func(a, b string) int { return cmp.Or(len(b)-len(a), cmp.Compare(a, b)) })
	return known
}

// flatStrings reads a JSON object whose members are all strings, written
// without spaces, as the notification signer writes it: a few times
// faster than encoding/json for what every attempt needs. ok is false for
// anything else (the caller falls back to encoding/json).
func flatStrings(b []byte) (fields [][2]string, ok bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	i := 1
	for i < len(b)-1 {
		k, next, ok := jsonString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return nil, false
		}
		v, next, ok := jsonString(b, next+1)
		if !ok || next >= len(b) {
			return nil, false
		}
		fields = append(fields, [2]string{k, v})
		switch b[next] {
		case ',':
			i = next + 1
		case '}':
			return fields, next == len(b)-1
		default:
			return nil, false
		}
	}
	return fields, i == 1 // {}
}

// jsonString reads the JSON string at b[i] and returns it and the index
// after its closing quote.
func jsonString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c < 0x20:
			return "", 0, false // not JSON
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			if !escaped {
				return string(b[i+1 : j]), j + 1, true
			}
			var s string
			if json.Unmarshal(b[i:j+1], &s) != nil {
				return "", 0, false
			}
			return s, j + 1, true
		}
	}
	return "", 0, false
}
