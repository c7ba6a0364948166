// Package client is a Go SDK for the LianLian Pay merchant API, and so for
// llgate in sandbox or gateway mode: it signs requests with the merchant key,
// seals card data in the pay_load envelope, verifies every answer with the
// platform key, and helps merchants receive and test notifications.
//
//	c := client.New("http://127.0.0.1:8080", "201408071000001539", merchantKey, platformKey)
//	res, err := c.CardBin(ctx, map[string]string{"card_no": "6222021234567800002"})
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) { /* apiErr.RetCode, apiErr.RetMsg */ }
package client

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/llgate/llgate/protocol"
)

// DefaultTimeout bounds a call when the Client has no HTTPClient of its own.
const DefaultTimeout = 30 * time.Second

// maxAnswer caps how much of an answer is read; real answers are a few KiB.
const maxAnswer = 1 << 20

var defaultHTTPClient = &http.Client{Timeout: DefaultTimeout}

// Client calls the merchant API as one merchant.
type Client struct {
	// BaseURL is the scheme and host, e.g. "http://127.0.0.1:8080", with an
	// optional path prefix; endpoint paths are appended to it.
	BaseURL string
	// OidPartner is added to requests that do not carry one.
	OidPartner string
	// Key is the merchant private key that signs requests.
	Key *rsa.PrivateKey
	// PlatformKey is LianLian's (or llgate's) public key: envelopes are
	// sealed to it and answers are verified with it.
	PlatformKey *rsa.PublicKey
	// SignType is "RSA" (MD5withRSA, what every client sends),
	// "SHA256withRSA", or "MD5" (the legacy keyed hash, with MD5Key); empty
	// means "RSA". A request's own sign_type wins.
	SignType string
	// MD5Key is the merchant's key of the legacy keyed hash: requests with
	// sign_type MD5 are signed md5(source+"&key="+MD5Key), and answers
	// signed so are checked with it. It is a shared secret, not a
	// signature: only for merchants still configured for it.
	MD5Key string
	// HTTPClient sends the requests; nil uses a client with DefaultTimeout.
	HTTPClient *http.Client
	// Trace, when set, receives each stage of a call for debugging:
	// "sign_source", "plain" (the inner JSON of an envelope), "envelope"
	// (the pay_load), "request" (the body posted) and "response" (the body
	// received). The text is NOT masked: it holds card numbers, ID numbers
	// and phones. Mask it (llgate.MaskText) before it reaches
	// any log that outlives the debugging session.
	Trace func(stage, text string)
}

// New returns a Client signing with key as merchant oidPartner and trusting
// platformKey.
func New(baseURL, oidPartner string, key *rsa.PrivateKey, platformKey *rsa.PublicKey) *Client {
	return &Client{
		BaseURL:     baseURL,
		OidPartner:  oidPartner,
		Key:         key,
		PlatformKey: platformKey,
		SignType:    "RSA",
	}
}

// Response is a verified answer.
type Response struct {
	// Fields holds every top-level field as text: strings as they are,
	// numbers as their JSON text, agreement_list as its raw JSON.
	Fields map[string]string
	// Raw is the body as received.
	Raw []byte
	// Object is the decoded body.
	Object *protocol.Object
}

// Get returns a field of the answer, "" when absent.
func (r *Response) Get(k string) string {
	if r == nil {
		return ""
	}
	return r.Fields[k]
}

// AgreementList decodes the bind list's agreement_list: one map per
// agreement, values as text. It returns nil, nil when the answer has none.
func (r *Response) AgreementList() ([]map[string]string, error) {
	if r == nil || r.Object == nil {
		return nil, nil
	}
	v, ok := r.Object.Value("agreement_list")
	if !ok || v.Text == "" {
		return nil, nil
	}
	// Some LianLian answers carry the list as a JSON string; take both.
	dec := json.NewDecoder(strings.NewReader(v.Text))
	dec.UseNumber()
	var items []map[string]any
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("llgate: agreement_list: %w", err)
	}
	out := make([]map[string]string, 0, len(items))
	for i, item := range items {
		m := make(map[string]string, len(item))
		for k, x := range item {
			switch x := x.(type) {
			case string:
				m[k] = x
			case json.Number:
				m[k] = x.String()
			case bool:
				m[k] = fmt.Sprint(x)
			case nil:
				m[k] = ""
			default:
				return nil, fmt.Errorf("llgate: agreement_list[%d].%s is not a string", i, k)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Call posts a plain signed request to BaseURL+path: it adds oid_partner (if
// missing) and sign_type, signs, posts JSON, decodes the answer strictly and
// verifies its signature with PlatformKey. ret_code 0000 and 8888 give a nil
// error; any other code gives an *Error, with the answer returned too. An
// answer whose signature does not verify gives an error wrapping
// ErrBadAnswerSignature; its Response is returned for diagnosis only and
// must not be trusted.
func (c *Client) Call(ctx context.Context, path string, fields map[string]string) (*Response, error) {
	body, signType, err := c.body(fields, false)
	if err != nil {
		return nil, err
	}
	return c.post(ctx, path, body, signType)
}

// CallEncrypted signs the request like Call, seals the signed JSON in a
// pay_load envelope to PlatformKey, and posts {"oid_partner","pay_load"}. The
// MPAY endpoints that carry card data (/v1/bankcardbind, /v1/bankcardprepay)
// take this form.
func (c *Client) CallEncrypted(ctx context.Context, path string, fields map[string]string) (*Response, error) {
	body, signType, err := c.body(fields, true)
	if err != nil {
		return nil, err
	}
	return c.post(ctx, path, body, signType)
}

// Body returns the JSON body Call would post for fields, without posting
// it: for load generators, which build their requests before timing. Post
// it to the endpoint and check the answer with ReadAnswer.
func (c *Client) Body(fields map[string]string) ([]byte, error) {
	body, _, err := c.body(fields, false)
	return body, err
}

// EncryptedBody is Body for CallEncrypted: the signed JSON sealed in a
// pay_load envelope, with fresh keys on every call.
func (c *Client) EncryptedBody(fields map[string]string) ([]byte, error) {
	body, _, err := c.body(fields, true)
	return body, err
}

// ReadAnswer decodes and verifies the answer to a request posted to path
// by other means than Call, with the same results as Call.
func (c *Client) ReadAnswer(path string, raw []byte) (*Response, error) {
	signType := c.SignType
	if signType == "" {
		signType = "RSA"
	}
	return c.readAnswer(raw, path, signType)
}

// body signs fields and encodes them, sealed in a pay_load if encrypted;
// signType is the request's sign_type.
func (c *Client) body(fields map[string]string, encrypted bool) (body []byte, signType string, err error) {
	if encrypted && c.PlatformKey == nil {
		return nil, "", errors.New("llgate: client has no PlatformKey")
	}
	signed, signType, err := c.sign(fields)
	if err != nil {
		return nil, "", err
	}
	body, err = encodeJSON(signed)
	if err != nil || !encrypted {
		return body, signType, err
	}
	c.trace("plain", string(body))
	payload, err := protocol.SealEnvelope(c.PlatformKey, body, protocol.SealOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("llgate: seal pay_load: %w", err)
	}
	c.trace("envelope", payload)
	body, err = encodeJSON(map[string]string{
		"oid_partner": signed["oid_partner"],
		"pay_load":    payload,
	})
	return body, signType, err
}

// sign copies fields, completes oid_partner and sign_type, and adds sign.
func (c *Client) sign(fields map[string]string) (map[string]string, string, error) {
	m := maps.Clone(fields)
	if m == nil {
		m = make(map[string]string)
	}
	delete(m, "sign")
	if m["oid_partner"] == "" {
		m["oid_partner"] = c.OidPartner
	}
	if m["oid_partner"] == "" {
		return nil, "", errors.New("llgate: no oid_partner")
	}
	signType := m["sign_type"]
	if signType == "" {
		signType = c.SignType
	}
	if signType == "" {
		signType = "RSA"
	}
	m["sign_type"] = signType
	src := protocol.SignSourceMap(m)
	c.trace("sign_source", src)
	switch {
	case signType == "MD5" && c.MD5Key == "":
		return nil, "", errors.New("llgate: sign_type MD5 needs the client's MD5Key")
	case signType == "MD5":
		m["sign"] = protocol.SignMD5(src, c.MD5Key)
		return m, signType, nil
	case c.Key == nil:
		return nil, "", errors.New("llgate: client has no Key")
	}
	sig, err := protocol.Sign(c.Key, signType, src)
	if err != nil {
		return nil, "", fmt.Errorf("llgate: sign request: %w", err)
	}
	m["sign"] = sig
	return m, signType, nil
}

func (c *Client) post(ctx context.Context, path string, body []byte, signType string) (*Response, error) {
	if c.PlatformKey == nil {
		return nil, errors.New("llgate: client has no PlatformKey")
	}
	url := strings.TrimSuffix(c.BaseURL, "/") + "/" + strings.TrimPrefix(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("llgate: %w", err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	req.Header.Set("User-Agent", "llgate-go-client")
	c.trace("request", string(body))
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("llgate: POST %s: %w", path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("llgate: POST %s: read answer: %w", path, err)
	}
	c.trace("response", string(raw))
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("llgate: POST %s: answer over %d bytes", path, maxAnswer)
	}
	if res.StatusCode != http.StatusOK {
		return nil, &StatusError{StatusCode: res.StatusCode, Body: snippet(raw)}
	}
	return c.readAnswer(raw, path, signType)
}

// readAnswer decodes, verifies and classifies an answer.
func (c *Client) readAnswer(raw []byte, path, requestSignType string) (*Response, error) {
	obj, err := protocol.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("llgate: answer is not a JSON object (%q): %w", snippet(raw), err)
	}
	resp := &Response{Fields: fieldsOf(obj), Raw: raw, Object: obj}
	signType := obj.Get("sign_type")
	if signType == "" {
		signType = requestSignType
	}
	sig := obj.Get("sign")
	if sig == "" {
		return resp, fmt.Errorf("%w: no sign", ErrBadAnswerSignature)
	}
	src := protocol.SignSource(obj, protocol.AnswerUnsigned(path)...)
	if signType == "MD5" {
		// Only a client that holds the key, and asked with MD5, takes
		// an answer signed with it: anyone with the key could forge one.
		if c.MD5Key == "" || requestSignType != "MD5" || protocol.VerifyMD5(src, c.MD5Key, sig) != nil {
			return resp, fmt.Errorf("%w (sign_type MD5)", ErrBadAnswerSignature)
		}
	} else if err := protocol.Verify(c.PlatformKey, signType, src, sig); err != nil {
		return resp, fmt.Errorf("%w (sign_type %s): %w", ErrBadAnswerSignature, signType, err)
	}
	switch code := obj.Get("ret_code"); code {
	case "0000", "8888":
		return resp, nil
	default:
		return resp, &Error{RetCode: code, RetMsg: obj.Get("ret_msg"), Answer: resp.Fields}
	}
}

func (c *Client) trace(stage, text string) {
	if c.Trace != nil {
		c.Trace(stage, text)
	}
}

func fieldsOf(o *protocol.Object) map[string]string {
	keys := o.Keys()
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = o.Get(k)
	}
	return m
}

// encodeJSON writes a flat object of strings the way the server expects
// them: UTF-8 without HTML escaping, keys sorted, empty values left out
// (they are not signed either).
func encodeJSON(m map[string]string) ([]byte, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("llgate: encode request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "")
}
