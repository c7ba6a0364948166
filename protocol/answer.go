package protocol

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"

	llgate "github.com/llgate/llgate"
)

// Answer is a response or notification body llgate builds. Fields are the
// signed top-level strings; Unsigned are top-level values outside the
// signature (agreement_list, bank_name, memo, card_no), because that is how
// the clients verify them (COMPAT.md). A key must not be in both.
type Answer struct {
	Fields   map[string]string
	Unsigned map[string]any
}

// Sign signs the answer with the platform key. signType, when not empty,
// becomes Fields["sign_type"]; when empty, the sign_type already in Fields is
// used, else RSA. Every answer is signed, errors too: the C# SDK rejects an
// answer without sign.
func (a *Answer) Sign(key *rsa.PrivateKey, signType string) error {
	return a.SignWith(signType, func(t, source string) (string, error) { return Sign(key, t, source) })
}

// SignWith is Sign with the signing done by sign (a cache of signatures,
// say): it gets the sign_type and the answer's sign source.
func (a *Answer) SignWith(signType string, sign func(signType, source string) (string, error)) error {
	if a.Fields == nil {
		a.Fields = make(map[string]string)
	}
	if signType != "" {
		a.Fields["sign_type"] = signType
	} else if signType = a.Fields["sign_type"]; signType == "" {
		signType = llgate.SignRSA
	}
	delete(a.Fields, "sign")
	sig, err := sign(signType, SignSourceMap(a.Fields))
	if err != nil {
		return err
	}
	a.Fields["sign"] = sig
	return nil
}

// SignMD5 signs the answer with the legacy keyed hash, for merchants
// configured for it; sign_type becomes "MD5".
func (a *Answer) SignMD5(md5Key string) {
	if a.Fields == nil {
		a.Fields = make(map[string]string)
	}
	a.Fields["sign_type"] = llgate.SignMD5
	delete(a.Fields, "sign")
	a.Fields["sign"] = SignMD5(SignSourceMap(a.Fields), md5Key)
}

// MarshalJSON writes one JSON object with the keys of Fields and Unsigned
// sorted bytewise, empty Fields left out (they are not signed either), raw
// UTF-8 without HTML escaping (one client un-escapes Java escapes itself) and
// no trailing newline. Write its bytes as they are: json.Marshal(a) would
// escape <, > and & again.
func (a *Answer) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(a.Fields)+len(a.Unsigned))
	for k, v := range a.Fields {
		if v != "" {
			keys = append(keys, k)
		}
	}
	for k := range a.Unsigned {
		if _, dup := a.Fields[k]; dup {
			return nil, fmt.Errorf("protocol: answer key %q is both signed and unsigned", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encode ends each value with a newline; drop it to join them ourselves.
	put := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := put(k); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		var v any = a.Fields[k]
		if u, ok := a.Unsigned[k]; ok {
			v = u
		}
		if err := put(v); err != nil {
			return nil, fmt.Errorf("protocol: answer key %q: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
