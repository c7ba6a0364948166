package httpapi

import (
	"errors"
	"strings"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// RequestDetail.Envelope values.
const (
	envelopeOpened    = "opened"
	envelopeNotOpened = "not opened: "
)

// envelopeFailed names the step at which a pay_load could not be opened,
// from protocol's ErrEnvelope chain ("part 2 base64: ...", "HMAC
// mismatch", "AES key: crypto/rsa: decryption error"): the wrapped errors
// say what failed, never a key.
func envelopeFailed(err error) string {
	step := strings.TrimPrefix(err.Error(), protocol.ErrEnvelope.Error()+": ")
	return envelopeNotOpened + llgate.MaskText(step)
}

// innerReason is why the pay_load's inside is not a request.
func innerReason(err error) string {
	var e *llgate.Error
	if errors.As(err, &e) && e.Detail != "" {
		return e.Detail
	}
	return err.Error()
}

// detailOf returns what builds x's RequestDetail; the request log's writer
// calls it, off the request path. answer is the body as sent. A request
// whose body was not JSON has nothing to detail beyond its reason: nil.
func (s *Server) detailOf(x *exchange, answer []byte) func() *llgate.RequestDetail {
	if x.fields == nil {
		return nil
	}
	return func() *llgate.RequestDetail {
		d := &llgate.RequestDetail{
			RequestText: maskedJSON(x.fields),
			AnswerText:  maskedAnswer(answer),
			Encrypted:   x.encrypted,
			Envelope:    x.envelope,
		}
		if x.sign.reached {
			d.Sign = s.signCheckOf(x)
		}
		return d
	}
}

// signCheckOf is the signature doctor's record of x's check: the sign
// source llgate built and its legacy variants, masked, and each value's
// fingerprint, so that a source the user pastes can be compared with it.
func (s *Server) signCheckOf(x *exchange) *llgate.SignCheck {
	f := x.fields
	fields := make(map[string]string, f.Len())
	for _, k := range f.Keys() {
		fields[k] = f.Get(k)
	}
	values := llgate.NewSignValues(fields, s.cfg.Log.SignFingerprint)
	c := &llgate.SignCheck{
		SignType: f.Get("sign_type"), Verified: x.sign.verified, Keys: x.sign.keys,
		Source: llgate.MaskedSource(values), Values: values,
	}
	if x.sign.verified && x.sign.legacy < 0 {
		return c // verified over llgate's own source: no variant was tried
	}
	for _, v := range protocol.LegacySignSources(f) {
		c.Variants = append(c.Variants, llgate.MaskText(v))
	}
	if i := x.sign.legacy; i >= 0 && i < len(c.Variants) {
		c.Legacy = c.Variants[i]
	}
	return c
}

// maskedAnswer is the answer as sent, masked field by field.
func maskedAnswer(body []byte) string {
	o, err := protocol.Decode(body)
	if err != nil {
		return llgate.MaskText(string(body)) // not ours to send; never happens
	}
	return maskedJSON(o)
}

// maskedJSON renders o as indented JSON with every value masked as its
// field (llgate.MaskField). Strings stay strings; a number, boolean,
// object or array stays JSON text as sent unless the mask changed it,
// and is then a string, so that the text stays JSON.
func maskedJSON(o *protocol.Object) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.Keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		writeJSONString(&b, llgate.MaskText(k))
		b.WriteString(": ")
		v, _ := o.Value(k)
		switch m := llgate.MaskField(k, v.Text); {
		case v.Kind == protocol.KindNull:
			b.WriteString("null")
		case v.Kind == protocol.KindString || m != v.Text:
			writeJSONString(&b, m)
		default:
			b.WriteString(v.Text)
		}
	}
	if o.Len() > 0 {
		b.WriteByte('\n')
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSONString writes s as a JSON string: quotes, backslashes and
// control characters escaped, the rest (Chinese included) as it is. s is
// valid UTF-8 (protocol.Decode refuses anything else).
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	if !needsEscape(s) { // most values: a signature, a number, a mask
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}
