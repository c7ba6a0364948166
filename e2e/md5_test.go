package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// TestMD5Merchant: a merchant configured for the legacy keyed hash (and only
// for it) completes a bind, its verify, a card-BIN query and a payment
// through the real pipeline, every answer signed with its MD5 key. If MD5
// verification broke (or panicked), these would answer 1001 or 9999.
func TestMD5Merchant(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		rsa := e.merchant(oidA, map[string]any{"md5_key": "legacy-key-1", "sign_types": []string{"MD5"}})
		c := *rsa
		c.SignType, c.MD5Key = "MD5", "legacy-key-1"
		ctx := context.Background()
		rcv := newReceiver(t)

		cardNo := card(t, 77, "0000")
		r, err := c.BindApply(ctx, bindFields("md5-user", zhang, cardNo))
		wantCode(t, "bind apply", r, err, "8888")
		if r.Get("sign_type") != "MD5" {
			t.Fatalf("answer sign_type %q, want MD5", r.Get("sign_type"))
		}
		v, err := c.BindVerify(ctx, map[string]string{"user_id": "md5-user", "token": r.Get("token"), "verify_code": e.lastCode(zhang.mobile)})
		wantCode(t, "bind verify", v, err, "0000")
		b, err := c.CardBin(ctx, map[string]string{"card_no": cardNo})
		wantCode(t, "card bin", b, err, "0000")
		p := payWithAgree(t, &c, "md5-user", v.Get("no_agree"), "12.34", rcv.url())
		pv, err := verifyPay(&c, p, e.lastCode(zhang.mobile))
		wantCode(t, "pay verify", pv, err, "0000")
		q := query(t, &c, map[string]string{"no_order": p.Get("no_order")})
		if q.Get("result_pay") != "SUCCESS" {
			t.Fatalf("order: %s", q.Get("result_pay"))
		}
		if n := rcv.wait(1); n[0]["no_order"] != p.Get("no_order") {
			t.Fatalf("notification: %v", n[0])
		}
		wrong := c
		wrong.MD5Key = "legacy-key-2"
		// Its notifications are signed with its MD5 key, as LianLian signs
		// them: an MD5 merchant's verifier (E1's WEB one) knows nothing else.
		rf, err := c.Refund(ctx, refundFields(p, nextOrder("md5"), "1.00", rcv.url()))
		wantCode(t, "refund", rf, err, "0000")
		e.advance(6 * time.Minute)
		for i, n := range rcv.wait(2) {
			src := protocol.SignSourceMap(n)
			if n["sign_type"] != "MD5" || n["sign"] != protocol.SignMD5(src, "legacy-key-1") {
				t.Errorf("notification %d is not signed with the merchant's MD5 key: %v", i, n)
			}
		}
		for i := range rcv.count() {
			body, _ := rcv.raw(i)
			if _, err := c.VerifyNotification(body); err != nil {
				t.Errorf("the SDK does not verify MD5 notification %d: %v", i, err)
			}
			if _, err := wrong.VerifyNotification(body); err == nil {
				t.Errorf("the SDK verified MD5 notification %d with the wrong key", i)
			}
		}

		// RSA is not allowed for this merchant, and a wrong MD5 key fails.
		_, err = rsa.CardBin(ctx, map[string]string{"card_no": cardNo})
		var apiErr *client.Error
		if !errors.As(err, &apiErr) || apiErr.RetCode != "1001" {
			t.Errorf("RSA request of an MD5-only merchant: got %v, want 1001", err)
		}
		// The answer is signed with the merchant's real key, which this
		// client does not hold: it cannot trust it, and reads 1001 in it.
		w, err := wrong.CardBin(ctx, map[string]string{"card_no": cardNo})
		if !errors.Is(err, client.ErrBadAnswerSignature) || w.Get("ret_code") != "1001" {
			t.Errorf("wrong MD5 key: got %v (%s), want 1001", err, w.Get("ret_code"))
		}
	})
}
