package httpapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
)

// detailCanary is personal data distinctive enough to grep the database for.
var detailCanary = struct{ card, idNo, mobile, name string }{
	idNo: "440301197707073139", mobile: "15987650123", name: "欧阳雀灵",
}

func init() {
	detailCanary.card, _ = issuer.TestCard("622202", 19, 27182818, "0000")
}

func canaryBindFields() map[string]string {
	return map[string]string{"oid_partner": vectorOid, "user_id": "detail-user", "pay_type": "2", "id_type": "0",
		"id_no": detailCanary.idNo, "acct_name": detailCanary.name, "card_no": detailCanary.card, "bind_mob": detailCanary.mobile}
}

// newest returns the newest request-log entry and its detail.
func newest(t *testing.T, h *harness) (*llgate.RequestLogEntry, *llgate.RequestDetail) {
	t.Helper()
	es, _, err := h.app.Log.Page(t.Context(), llgate.ListQuery{Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("Page: %d entries, %v", len(es), err)
	}
	e, d, err := h.app.Log.Get(t.Context(), es[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return e, d
}

func TestRequestDetail(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()

	t.Run("SignatureFailure", func(t *testing.T) {
		// Signed with a key the merchant does not hold, inside an envelope.
		fields := canaryBindFields()
		inner := signed(t, newRSAKey(t), "RSA", fields)
		theirs := protocol.SignSourceMap(fields) // what the client signed
		if got := h.post(routeBindApply, envelope(t, h, inner, vectorOid, protocol.SealOptions{}))["ret_code"]; got != "1001" {
			t.Fatalf("ret_code %s, want 1001", got)
		}
		e, d := newest(t, h)
		if e.RetCode != "1001" || e.Path != routeBindApply || e.OidPartner != vectorOid || d == nil {
			t.Fatalf("entry %+v, detail %+v", e, d)
		}
		if !d.Encrypted || d.Envelope != "opened" {
			t.Errorf("envelope: encrypted %v, %q; want true, opened", d.Encrypted, d.Envelope)
		}
		c := d.Sign
		if c == nil || c.Verified || c.Keys != 1 || c.SignType != "RSA" || c.Legacy != "" {
			t.Fatalf("sign check %+v, want RSA, not verified, one key tried", c)
		}
		if want := "card_no=" + llgate.MaskCard(detailCanary.card); !strings.Contains(c.Source, want) {
			t.Errorf("source %q does not show %q", c.Source, want)
		}
		byKey := map[string]llgate.SignValue{}
		for _, v := range c.Values {
			byKey[v.Key] = v
		}
		for _, k := range []string{"card_no", "id_no", "acct_name", "bind_mob"} {
			if v := byKey[k]; v.FP == "" || v.Masked == fields[k] || v.Len != len(fields[k]) {
				t.Errorf("%s: %+v, want a masked value with a fingerprint", k, v)
			}
		}
		if v := byKey["user_id"]; v.FP != "" || v.Masked != "detail-user" {
			t.Errorf("user_id: %+v, want the value itself and no fingerprint", v)
		}
		if diff := h.app.Log.Compare(c, theirs); !diff.Same {
			t.Errorf("the client's own source: %+v, want the same", diff)
		}
		wrong := strings.Replace(theirs, detailCanary.mobile, "15987650124", 1)
		if diff := h.app.Log.Compare(c, wrong); diff.Same || diff.Field != "bind_mob" {
			t.Errorf("another phone: %+v, want a difference in bind_mob", diff)
		}
		if !json.Valid([]byte(d.RequestText)) || !strings.Contains(d.RequestText, `"card_no": "`+llgate.MaskCard(detailCanary.card)+`"`) {
			t.Errorf("request text is not the masked request as JSON:\n%s", d.RequestText)
		}
		if !json.Valid([]byte(d.AnswerText)) || !strings.Contains(d.AnswerText, `"ret_code": "1001"`) {
			t.Errorf("answer text:\n%s", d.AnswerText)
		}
	})

	t.Run("Verified", func(t *testing.T) {
		if got := h.post(routeBindApply, signed(t, h.merchant, "RSA", canaryBindFields()))["ret_code"]; got != "8888" {
			t.Fatalf("ret_code %s, want 8888", got)
		}
		_, d := newest(t, h)
		if c := d.Sign; c == nil || !c.Verified || c.Keys != 1 || d.Encrypted || d.Envelope != "" {
			t.Fatalf("detail %+v, sign %+v: want a verified plain request", d, c)
		}
	})

	t.Run("LegacyVariant", func(t *testing.T) {
		// PHP 7 leaves "offset":0 out of what it signs.
		f := map[string]string{"oid_partner": vectorOid, "user_id": "nobody", "sign_type": "RSA"}
		sig, err := protocol.Sign(h.merchant, "RSA", protocol.SignSourceMap(f))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"oid_partner": vectorOid, "user_id": "nobody", "sign_type": "RSA", "offset": 0, "sign": sig})
		if got := h.post(routeBindList, body)["ret_code"]; got != "8901" {
			t.Fatalf("ret_code %s, want 8901", got)
		}
		_, d := newest(t, h)
		c := d.Sign
		if c == nil || !c.Verified || len(c.Variants) == 0 || c.Legacy != c.Variants[0] || strings.Contains(c.Legacy, "offset") {
			t.Fatalf("sign check %+v, want verified over the variant without offset", c)
		}
		if !strings.Contains(d.RequestText, `"offset": 0`) {
			t.Errorf("request text keeps the number as sent:\n%s", d.RequestText)
		}
	})

	t.Run("EnvelopeNotOpened", func(t *testing.T) {
		payload, err := protocol.SealEnvelope(&h.platform.PublicKey, signed(t, h.merchant, "RSA", canaryBindFields()), protocol.SealOptions{})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(payload, "$")
		parts[5] = "AAAA" + parts[5][4:]
		body, _ := json.Marshal(map[string]string{"oid_partner": vectorOid, "pay_load": strings.Join(parts, "$")})
		if got := h.post(routeBindApply, body)["ret_code"]; got != "4007" {
			t.Fatalf("ret_code %s, want 4007", got)
		}
		_, d := newest(t, h)
		if d == nil || d.Sign != nil || d.Encrypted || d.Envelope != "not opened: HMAC mismatch" {
			t.Fatalf("detail %+v, want the HMAC step and no sign check", d)
		}
		if !strings.Contains(d.RequestText, `"pay_load": "***(`) {
			t.Errorf("request text:\n%s", d.RequestText)
		}
	})

	t.Run("NotJSON", func(t *testing.T) {
		if got := h.post(routeCardBin, []byte("card_no="+detailCanary.card))["ret_code"]; got != "1012" {
			t.Fatalf("ret_code %s, want 1012", got)
		}
		e, d := newest(t, h)
		if e.RetCode != "1012" || e.Reason == "" || e.Detail != "" || d != nil {
			t.Fatalf("entry %+v, detail %+v: want the reason alone", e, d)
		}
	})

	t.Run("Codes", func(t *testing.T) {
		cs, err := h.app.Log.Codes(ctx, vectorOid)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{routeBindApply + " 1001": 1, routeBindApply + " 8888": 1, routeBindApply + " 4007": 1, routeBindList + " 8901": 1}
		got := map[string]int{}
		for _, c := range cs {
			got[c.Path+" "+c.RetCode] = c.Count
			if c.Last.IsZero() {
				t.Errorf("%+v: no time", c)
			}
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: met %d times, want %d (all: %v)", k, got[k], n, got)
			}
		}
	})

	t.Run("NothingInPlaintext", func(t *testing.T) {
		h.app.Log.Sync()
		path := h.store.Path()
		var all []byte
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if !bytes.Contains(all, []byte(llgate.MaskCard(detailCanary.card))) {
			t.Fatal("the masked card is not there either: are these the right files?")
		}
		for what, v := range map[string]string{"card": detailCanary.card, "id_no": detailCanary.idNo,
			"phone": detailCanary.mobile, "name": detailCanary.name} {
			if bytes.Contains(all, []byte(v)) {
				t.Errorf("the database holds the %s in plaintext", what)
			}
		}
	})
}
