package protocol

import (
	"bytes"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
)

// MaxDepth is how deeply containers may nest, the top-level object being 1.
// Real requests nest at most 1 level (risk_item travels as a string), so 8 is
// generous and bounds the decoder's recursion.
const MaxDepth = 8

// Kind is the JSON type of a top-level value.
type Kind uint8

const (
	KindString Kind = iota
	KindNumber
	KindBool
	KindNull
	KindObject
	KindArray
)

// Value is one top-level value. Text is the decoded text of a string, the
// literal JSON text of a number (so "offset":0 signs as offset=0), "true" or
// "false", "" for null, and the raw JSON text as sent for objects and arrays.
type Value struct {
	Kind Kind
	Text string
}

// Object is a decoded request body: its top-level keys in arrival order and
// their values. Nested containers are validated but kept as raw text, because
// the wire protocol signs them verbatim and never reads into them.
type Object struct {
	keys []string
	vals map[string]Value
}

// Decode parses a request body strictly. It returns an *llgate.Error with code
// 1012 for an empty body, text that is not JSON, a top level that is not an
// object, invalid UTF-8 (lone surrogate escapes included), a NUL character, or
// trailing garbage; and 9901 for nesting deeper than MaxDepth and for
// duplicate keys or keys that differ only in case at any level. Duplicates are
// refused because "k=v&..." sign sources and the clients' HashMaps disagree
// on which copy wins. One leading UTF-8 BOM is skipped (RFC 8259 §8.1 allows
// it; .NET writers add one by default).
func Decode(body []byte) (*Object, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "empty body")
	}
	if !utf8.Valid(body) {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "body is not valid UTF-8")
	}
	d := decoder{buf: body}
	d.skipSpace()
	if d.buf[d.pos] != '{' {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "top level is not a JSON object")
	}
	o := &Object{vals: make(map[string]Value)}
	if err := d.object(1, o); err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.buf) {
		return nil, d.syntax("trailing data after the object")
	}
	return o, nil
}

// Keys returns the top-level keys in arrival order.
func (o *Object) Keys() []string {
	return append([]string(nil), o.keys...)
}

// Value returns the raw value of a top-level key.
func (o *Object) Value(key string) (Value, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Get returns a top-level field as text: the string, the number's literal
// text, "true"/"false", or the raw text of an object or array. Absent, null
// and "" all give "", because clients send "platform":"" for "not set"
// (COMPAT.md).
func (o *Object) Get(key string) string {
	return o.vals[key].Text // null and absent both have Text ""
}

// Has reports whether the field is present and non-empty per Get.
func (o *Object) Has(key string) bool { return o.Get(key) != "" }

// Len is the number of top-level keys.
func (o *Object) Len() int { return len(o.keys) }

type decoder struct {
	buf []byte
	pos int
}

func (d *decoder) syntax(what string) error {
	return llgate.Errorf(llgate.CodeUnparseable, "invalid JSON at byte %d: %s", d.pos, what)
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

// object parses the object at d.pos. When top is non-nil it records the
// top-level keys and values there.
func (d *decoder) object(depth int, top *Object) error {
	if depth > MaxDepth {
		return llgate.Errorf(llgate.CodeBadBody, "JSON nested deeper than %d levels", MaxDepth)
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == '}' {
		d.pos++
		return nil
	}
	seen := make(map[string]string) // folded key -> key as sent
	for {
		d.skipSpace()
		if d.pos >= len(d.buf) || d.buf[d.pos] != '"' {
			return d.syntax("expected a string key")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		f := foldKey(key)
		if prev, dup := seen[f]; dup {
			if prev == key {
				return llgate.Errorf(llgate.CodeBadBody, "duplicate key %.40q", key)
			}
			return llgate.Errorf(llgate.CodeBadBody, "keys %.40q and %.40q differ only in case", prev, key)
		}
		seen[f] = key
		d.skipSpace()
		if d.pos >= len(d.buf) || d.buf[d.pos] != ':' {
			return d.syntax("expected ':'")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return err
		}
		if top != nil {
			top.keys = append(top.keys, key)
			top.vals[key] = v
		}
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return d.syntax("unexpected end of body")
		}
		switch d.buf[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.syntax("expected ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) error {
	if depth > MaxDepth {
		return llgate.Errorf(llgate.CodeBadBody, "JSON nested deeper than %d levels", MaxDepth)
	}
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.buf) && d.buf[d.pos] == ']' {
		d.pos++
		return nil
	}
	for {
		d.skipSpace()
		if _, err := d.value(depth); err != nil {
			return err
		}
		d.skipSpace()
		if d.pos >= len(d.buf) {
			return d.syntax("unexpected end of body")
		}
		switch d.buf[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.syntax("expected ',' or ']'")
		}
	}
}

// value parses one value inside a container at the given depth.
func (d *decoder) value(depth int) (Value, error) {
	if d.pos >= len(d.buf) {
		return Value{}, d.syntax("unexpected end of body")
	}
	start := d.pos
	switch c := d.buf[d.pos]; {
	case c == '"':
		s, err := d.str()
		return Value{Kind: KindString, Text: s}, err
	case c == '{':
		err := d.object(depth+1, nil)
		return Value{Kind: KindObject, Text: string(d.buf[start:d.pos])}, err
	case c == '[':
		err := d.array(depth + 1)
		return Value{Kind: KindArray, Text: string(d.buf[start:d.pos])}, err
	case c == 't':
		return Value{Kind: KindBool, Text: "true"}, d.literal("true")
	case c == 'f':
		return Value{Kind: KindBool, Text: "false"}, d.literal("false")
	case c == 'n':
		return Value{Kind: KindNull}, d.literal("null")
	case c == '-' || isDigit(c):
		err := d.number()
		return Value{Kind: KindNumber, Text: string(d.buf[start:d.pos])}, err
	default:
		return Value{}, d.syntax("unexpected character")
	}
}

func (d *decoder) literal(word string) error {
	if !bytes.HasPrefix(d.buf[d.pos:], []byte(word)) {
		return d.syntax("invalid literal")
	}
	d.pos += len(word)
	return nil
}

// number checks the RFC 8259 grammar -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?;
// the caller keeps the literal text, never a float, so no precision is lost.
func (d *decoder) number() error {
	if d.buf[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.buf) && d.buf[d.pos] == '0':
		d.pos++
	case d.pos < len(d.buf) && isDigit(d.buf[d.pos]):
		d.digits()
	default:
		return d.syntax("invalid number")
	}
	if d.pos < len(d.buf) && d.buf[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	if d.pos < len(d.buf) && (d.buf[d.pos] == 'e' || d.buf[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.buf) && (d.buf[d.pos] == '+' || d.buf[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			return d.syntax("invalid number")
		}
	}
	return nil
}

func (d *decoder) digits() int {
	n := 0
	for d.pos < len(d.buf) && isDigit(d.buf[d.pos]) {
		d.pos++
		n++
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
