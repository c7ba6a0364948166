package client_test

import (
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// Test keys published with the client vectors (testdata/clients/README.md).
const keyDir = "../testdata/clients/keys/"

func mustPrivateKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	b, err := os.ReadFile(keyDir + name)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

const oidPartner = "201408071000001539"

// edge is a small stand-in for the server's edge, for the SDK's unit tests
// only: it decodes, opens pay_load, verifies the merchant signature and
// answers signed JSON the way the real handler does. The SDK's tests against
// the real handler live elsewhere.
type edge struct {
	srv         *httptest.Server
	platform    *rsa.PrivateKey // signs answers
	envelopeKey *rsa.PrivateKey // opens pay_load; normally the platform key
	merchant    *rsa.PrivateKey
	wrong       *rsa.PrivateKey // a key that is neither

	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	path        string
	contentType string
	outer       map[string]string // body fields as posted
	inner       map[string]string // the signed request (outer, or the opened envelope)
	signSource  string
}

func newEdge(t *testing.T) *edge {
	t.Helper()
	e := &edge{
		platform: mustPrivateKey(t, "platform_private_pkcs8.pem"),
		merchant: mustPrivateKey(t, "merchant_private_pkcs8.pem"),
	}
	e.envelopeKey = e.platform
	e.wrong = e.merchant // signs nothing an answer should be verified with
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

// client returns a client for the edge's merchant.
func (e *edge) client() *client.Client {
	c := client.New(e.srv.URL, oidPartner, e.merchant, &e.platform.PublicKey)
	c.HTTPClient = e.srv.Client()
	return c
}

func (e *edge) last(t *testing.T) seenRequest {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 {
		t.Fatal("the edge saw no request")
	}
	return e.seen[len(e.seen)-1]
}

func fieldsOf(o *protocol.Object) map[string]string {
	m := make(map[string]string)
	for _, k := range o.Keys() {
		m[k] = o.Get(k)
	}
	return m
}

func (e *edge) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/status502":
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	case "/html":
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		io.WriteString(w, "<html><body><h1>Service Unavailable</h1></body></html>")
		return
	}
	body, _ := io.ReadAll(r.Body)
	seen := seenRequest{path: r.URL.Path, contentType: r.Header.Get("Content-Type")}
	defer func() {
		e.mu.Lock()
		e.seen = append(e.seen, seen)
		e.mu.Unlock()
	}()

	outer, err := protocol.Decode(body)
	if err != nil {
		e.answer(w, "RSA", map[string]string{"ret_code": "1012", "ret_msg": protocol.RetMsg("1012", "")}, nil)
		return
	}
	seen.outer = fieldsOf(outer)
	req := outer
	if payload := outer.Get("pay_load"); payload != "" {
		plain, err := protocol.OpenEnvelope(e.envelopeKey, payload, true)
		if err == nil {
			req, err = protocol.Decode(plain)
		}
		if err != nil || req.Get("oid_partner") != outer.Get("oid_partner") {
			e.answer(w, "RSA", map[string]string{"ret_code": "4007", "ret_msg": protocol.RetMsg("4007", "")}, nil)
			return
		}
	}
	seen.inner = fieldsOf(req)
	signType := req.Get("sign_type")
	seen.signSource = protocol.SignSource(req)
	if protocol.Verify(&e.merchant.PublicKey, signType, seen.signSource, req.Get("sign")) != nil {
		e.answer(w, signType, map[string]string{"ret_code": "1001", "ret_msg": protocol.RetMsg("1001", "")}, nil)
		return
	}
	ok := func(f map[string]string) map[string]string {
		f["ret_code"], f["ret_msg"] = "0000", protocol.RetMsg("0000", "")
		f["oid_partner"] = req.Get("oid_partner")
		return f
	}
	switch r.URL.Path {
	case client.PathCardBin:
		if req.Get("card_no") == "" {
			e.answer(w, signType, map[string]string{"ret_code": "1004", "ret_msg": protocol.RetMsg("1004", "card_no")}, nil)
			return
		}
		e.answer(w, signType, ok(map[string]string{"bank_code": "01020000", "card_type": "2", "bank_name": "中国工商银行"}), nil)
	case client.PathBindApply, client.PathPayApply:
		f := ok(map[string]string{"token": "0123456789ABCDEF0123456789ABCDEF", "user_id": req.Get("user_id")})
		f["ret_code"], f["ret_msg"] = "8888", protocol.RetMsg("8888", "")
		e.answer(w, signType, f, nil)
	case client.PathBindList:
		e.answer(w, signType, ok(map[string]string{"count": "2", "user_id": req.Get("user_id")}),
			map[string]any{"agreement_list": []map[string]string{
				{"no_agree": "2026112200000002", "card_no": "0002", "bank_code": "01020000", "pay_type": "2"},
				{"no_agree": "2026112200000001", "card_no": "0008", "bank_code": "01020000", "pay_type": "2"},
			}})
	case client.PathOrderQuery:
		e.answer(w, signType, ok(map[string]string{"no_order": req.Get("no_order"), "result_pay": "SUCCESS"}),
			map[string]any{"card_no": "622202*********0002", "bank_name": "中国工商银行", "memo": ""})
	case "/badsig":
		e.answerWith(w, e.wrong, signType, ok(map[string]string{}), nil)
	case "/nosign":
		b, _ := (&protocol.Answer{Fields: ok(map[string]string{"sign_type": signType})}).MarshalJSON()
		w.Write(b)
	default:
		e.answer(w, signType, ok(map[string]string{}), nil)
	}
}

func (e *edge) answer(w http.ResponseWriter, signType string, fields map[string]string, unsigned map[string]any) {
	e.answerWith(w, e.platform, signType, fields, unsigned)
}

func (e *edge) answerWith(w http.ResponseWriter, key *rsa.PrivateKey, signType string, fields map[string]string, unsigned map[string]any) {
	if signType != "SHA256withRSA" {
		signType = "RSA"
	}
	a := protocol.Answer{Fields: fields, Unsigned: unsigned}
	if err := a.Sign(key, signType); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b, err := a.MarshalJSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Write(b)
}
