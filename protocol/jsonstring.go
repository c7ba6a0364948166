package protocol

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
)

// str parses the string at d.pos and returns its decoded text. The body was
// checked to be valid UTF-8, so only escapes can produce invalid text.
func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		if c == '"' {
			s := string(d.buf[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' {
			return d.strEscaped(start)
		}
		if c < 0x20 {
			return "", d.syntax("control character in string")
		}
		d.pos++
	}
	return "", d.syntax("unterminated string")
}

// strEscaped finishes a string that contains escapes, from its first escape.
func (d *decoder) strEscaped(start int) (string, error) {
	out := append([]byte(nil), d.buf[start:d.pos]...)
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(out), nil
		case c < 0x20:
			return "", d.syntax("control character in string")
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		d.pos++ // backslash
		if d.pos >= len(d.buf) {
			break
		}
		e := d.buf[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := d.unicodeEscape()
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", d.syntax("invalid escape")
		}
	}
	return "", d.syntax("unterminated string")
}

// unicodeEscape reads the XXXX of \uXXXX (d.pos is after the 'u') and, for a
// high surrogate, the low surrogate escape that must follow. Lone surrogates
// are not Unicode and NUL breaks text columns downstream, so both are refused.
func (d *decoder) unicodeEscape() (rune, error) {
	r, ok := d.hex4()
	if !ok {
		return 0, d.syntax("invalid \\u escape")
	}
	if utf16.IsSurrogate(r) {
		if r >= 0xDC00 || !bytes.HasPrefix(d.buf[d.pos:], []byte(`\u`)) {
			return 0, llgate.Errorf(llgate.CodeUnparseable, "lone surrogate escape at byte %d", d.pos)
		}
		d.pos += 2
		lo, ok := d.hex4()
		if !ok {
			return 0, d.syntax("invalid \\u escape")
		}
		r = utf16.DecodeRune(r, lo)
		if r == utf8.RuneError {
			return 0, llgate.Errorf(llgate.CodeUnparseable, "lone surrogate escape at byte %d", d.pos)
		}
	}
	if r == 0 {
		return 0, llgate.Errorf(llgate.CodeUnparseable, "NUL character at byte %d", d.pos)
	}
	return r, nil
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.buf) {
		return 0, false
	}
	var r rune
	for _, c := range d.buf[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}
