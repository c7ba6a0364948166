package cashier

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// entryParams is an entry request's parameters, decoded: the form fields
// (query string and body) or the req_data object; gb says they came in
// GB18030, so their signature covers the GB18030 bytes of the sign source.
type entryParams struct {
	fields *protocol.Object
	gb     bool
}

// encode is what VerifyRequest signs over: UTF-8 as decoded, or GB18030.
func (p *entryParams) encode() func(string) string {
	if !p.gb {
		return nil
	}
	return func(s string) string {
		b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
		if err != nil {
			return s // cannot happen: GB18030 encodes every code point
		}
		return b
	}
}

// readParams reads an entry request (CONTRACT-easypay-payouts.md §4.2): a
// GET query string or a POST form (urlencoded or multipart), at most
// bodyCap bytes of body and query together (9901); a name given twice is
// 9901; a req_data parameter, when present, is the request (a strict JSON
// object: 1012, 9901 as the JSON API) and the other parameters are
// ignored. Bytes are UTF-8 unless they are not valid UTF-8 or name
// charset_name GBK, GB2312 or GB18030: then GB18030 (Decision 13); text that
// is neither answers 1012. "" and "null" in any case are absent.
func readParams(r *http.Request, bodyCap int64) (*entryParams, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "method %s: the checkout takes GET or POST", r.Method)
	}
	query := r.URL.RawQuery
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, bodyCap+1)); err != nil {
			return nil, llgate.Errorf(llgate.CodeUnparseable, "reading the body: %v", err)
		}
	}
	if int64(len(body)+len(query)) > bodyCap {
		return nil, llgate.Errorf(llgate.CodeBadBody, "body and query over %d bytes", bodyCap)
	}
	var f form
	if err := f.addQuery(query); err != nil {
		return nil, err
	}
	if len(body) > 0 {
		ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		if ct == "multipart/form-data" {
			err = f.addMultipart(body, ps["boundary"])
		} else {
			err = f.addQuery(string(body))
		}
		if err != nil {
			return nil, err
		}
	}
	if raw, ok := f.vals["req_data"]; ok {
		return reqData(raw)
	}
	gb := !f.validUTF8() || gbName(f.vals["charset_name"])
	if gb {
		if err := f.decodeGB(); err != nil {
			return nil, err
		}
	}
	return &entryParams{fields: protocol.FormObject(f.keys, f.vals).WithoutNull(), gb: gb}, nil
}

// reqData decodes the H5 req_data JSON object.
func reqData(raw string) (*entryParams, error) {
	gb := !utf8.ValidString(raw)
	text := raw
	if gb {
		var err error
		if text, err = fromGB(raw); err != nil {
			return nil, err
		}
	}
	o, err := protocol.Decode([]byte(text))
	if err != nil {
		return nil, err
	}
	if !gb && gbName(o.Get("charset_name")) {
		// Named GB18030 but valid UTF-8: read the bytes as GB18030.
		if text, err = fromGB(raw); err != nil {
			return nil, err
		}
		if o, err = protocol.Decode([]byte(text)); err != nil {
			return nil, err
		}
		gb = true
	}
	return &entryParams{fields: o.WithoutNull(), gb: gb}, nil
}

func gbName(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "GBK", "GB2312", "GB18030":
		return true
	}
	return false
}

// fromGB decodes GB18030 text; bytes that are not GB18030 either are 1012.
func fromGB(s string) (string, error) {
	out, err := simplifiedchinese.GB18030.NewDecoder().String(s)
	if err != nil || strings.ContainsRune(out, utf8.RuneError) && !strings.ContainsRune(s, utf8.RuneError) {
		return "", llgate.Errorf(llgate.CodeUnparseable, "the request is neither UTF-8 nor GB18030")
	}
	return out, nil
}

// form is the parameters in arrival order, raw bytes.
type form struct {
	keys []string
	vals map[string]string
	seen map[string]bool // folded names, for case-variant duplicates
}

func (f *form) add(k, v string) error {
	if f.vals == nil {
		f.vals, f.seen = map[string]string{}, map[string]bool{}
	}
	fold := strings.ToLower(k)
	if f.seen[fold] {
		return llgate.Errorf(llgate.CodeBadBody, "parameter %q given twice", k)
	}
	f.seen[fold] = true
	f.keys = append(f.keys, k)
	f.vals[k] = v
	return nil
}

// addQuery adds the pairs of an urlencoded text. Pairs are split on '&'
// only; a name without '=' has the value "".
func (f *form) addQuery(q string) error {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		var err error
		if k, err = url.QueryUnescape(k); err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return llgate.Errorf(llgate.CodeUnparseable, "bad percent-encoding in the form")
		}
		if k == "" {
			continue
		}
		if err := f.add(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (f *form) addMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return llgate.Errorf(llgate.CodeUnparseable, "multipart form without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return llgate.Errorf(llgate.CodeUnparseable, "bad multipart form")
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return llgate.Errorf(llgate.CodeUnparseable, "bad multipart form")
		}
		if name := p.FormName(); name != "" {
			if err := f.add(name, string(v)); err != nil {
				return err
			}
		}
	}
}

func (f *form) validUTF8() bool {
	for _, k := range f.keys {
		if !utf8.ValidString(k) || !utf8.ValidString(f.vals[k]) {
			return false
		}
	}
	return true
}

func (f *form) decodeGB() error {
	vals := make(map[string]string, len(f.vals))
	keys := make([]string, 0, len(f.keys))
	for _, k := range f.keys {
		dk, err := fromGB(k)
		if err != nil {
			return err
		}
		dv, err := fromGB(f.vals[k])
		if err != nil {
			return err
		}
		keys = append(keys, dk)
		vals[dk] = dv
	}
	f.keys, f.vals = keys, vals
	return nil
}
