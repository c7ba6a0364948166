package notify

import "bytes"

var bom = []byte("\xef\xbb\xbf")

// Ack reports whether a merchant's answer acknowledges a notification: HTTP
// 200 and a body that, once UTF-8 byte order marks and white space around it
// are stripped, is one object whose ret_code is the string 0000, quoted with
// double or single quotes (COMPAT.md: the classic PHP receiver answers two
// BOMs and {'ret_code':'0000','ret_msg':'...'} as text/html). ret_msg and
// the Content-Type do not matter. The object must be well formed, and a
// ret_code given twice is not an acknowledgement.
func Ack(status int, body []byte) bool {
	if status != 200 {
		return false
	}
	body = trimNoise(body)
	p := ackParser{buf: body}
	code, ok := p.object()
	if !ok || p.pos != len(body) {
		return false
	}
	return code == "0000"
}

// trimNoise strips white space and BOMs, in any mix, from both ends.
func trimNoise(b []byte) []byte {
	for {
		n := len(b)
		b = bytes.TrimSpace(b)
		b = bytes.TrimPrefix(b, bom)
		b = bytes.TrimSuffix(b, bom)
		if len(b) == n {
			return b
		}
	}
}

// ackParser reads the lenient JSON receivers write: strings in double or
// single quotes, scalars, and nested containers it skips.
type ackParser struct {
	buf []byte
	pos int
}

// object parses the top-level object and returns ret_code's string value;
// ok is false when the text is not an object or ret_code is not exactly one
// quoted string.
func (p *ackParser) object() (code string, ok bool) {
	if !p.eat('{') {
		return "", false
	}
	seen := false
	if p.eat('}') {
		return "", false
	}
	for {
		key, ok := p.str()
		if !ok || !p.eat(':') {
			return "", false
		}
		val, quoted, ok := p.value()
		if !ok {
			return "", false
		}
		if key == "ret_code" {
			if seen || !quoted {
				return "", false
			}
			seen, code = true, val
		}
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return code, seen
		}
		return "", false
	}
}

func (p *ackParser) space() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

// eat skips white space and then c, reporting whether c was there.
func (p *ackParser) eat(c byte) bool {
	p.space()
	if p.pos < len(p.buf) && p.buf[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// str reads a string in double or single quotes. A backslash takes the
// next byte literally: good enough to find the end of the string, and a
// ret_code spelled with escapes is not one a receiver meant as 0000.
func (p *ackParser) str() (string, bool) {
	p.space()
	if p.pos >= len(p.buf) || (p.buf[p.pos] != '"' && p.buf[p.pos] != '\'') {
		return "", false
	}
	q := p.buf[p.pos]
	p.pos++
	var out []byte
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		p.pos++
		switch c {
		case q:
			return string(out), true
		case '\\':
			if p.pos >= len(p.buf) {
				return "", false
			}
			out = append(out, '\\', p.buf[p.pos])
			p.pos++
		default:
			out = append(out, c)
		}
	}
	return "", false
}

// value reads a member's value: a string (quoted true), a bare scalar, or
// a nested object or array, skipped.
func (p *ackParser) value() (val string, quoted, ok bool) {
	p.space()
	if p.pos >= len(p.buf) {
		return "", false, false
	}
	switch p.buf[p.pos] {
	case '"', '\'':
		s, ok := p.str()
		return s, true, ok
	case '{', '[':
		return "", false, p.skipContainer()
	}
	start := p.pos
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ',', '}', ' ', '\t', '\r', '\n':
			if p.pos == start {
				return "", false, false
			}
			return string(p.buf[start:p.pos]), false, true
		case '"', '\'', '{', '[', ':', ']':
			return "", false, false
		}
		p.pos++
	}
	return "", false, false
}

// skipContainer skips a balanced object or array, strings included.
func (p *ackParser) skipContainer() bool {
	depth := 0
	for p.pos < len(p.buf) {
		switch c := p.buf[p.pos]; c {
		case '"', '\'':
			if _, ok := p.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				p.pos++
				return true
			}
		}
		p.pos++
	}
	return false
}
