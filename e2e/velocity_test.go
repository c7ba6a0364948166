package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// velocityMerchant provisions a merchant with its own velocity caps (0 =
// the default) and a fixed SMS code.
func (e *env) velocityMerchant(oid string, phones, cards int) *client.Client {
	e.t.Helper()
	return e.merchant(oid, map[string]any{
		"sms_code": "123456",
		"velocity": map[string]int{"phones_per_hour": phones, "cards_per_hour": cards},
	})
}

// from returns a copy of c whose requests come from the loopback address ip
// (Linux routes all of 127.0.0.0/8 to the loopback interface).
func from(c *client.Client, ip string) *client.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	cc := *c
	cc.HTTPClient = &http.Client{Timeout: client.DefaultTimeout, Transport: &http.Transport{DialContext: d.DialContext}}
	return &cc
}

// phoneN is zhang with a phone of his own for each n.
func phoneN(n int) person {
	p := zhang
	p.mobile = fmt.Sprintf("1370000%04d", n)
	return p
}

// bindCode applies to bind cardNo for user with p's phone; the ret_code.
func bindCode(t *testing.T, c *client.Client, user string, p person, cardNo string) string {
	t.Helper()
	r, err := c.BindApply(context.Background(), bindFields(user, p, cardNo))
	return code(t, r, err)
}

// payCardCode applies to pay with card elements; the ret_code.
func payCardCode(t *testing.T, c *client.Client, user string, p person, cardNo string) string {
	t.Helper()
	f := payFields(user, nextOrder("v"), "1.00", "http://127.0.0.1:1/notify")
	for k, v := range bindFields(user, p, cardNo) {
		if k != "risk_item" {
			f[k] = v
		}
	}
	r, err := c.PayApply(context.Background(), f)
	return code(t, r, err)
}

func cardBinCode(t *testing.T, c *client.Client, cardNo string) string {
	t.Helper()
	r, err := c.CardBin(context.Background(), map[string]string{"card_no": cardNo})
	return code(t, r, err)
}

func want(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: ret_code %s, want %s", what, got, want)
	}
}

// SMS pumping: texts to more distinct phones in an hour than the cap answer
// 9704, from bind apply and from pay apply with card elements; a phone
// already texted within the hour always passes; the hour passing by the
// sandbox clock frees the cap.
func TestVelocityPhones(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		c := e.velocityMerchant(oidA, 3, 0)
		for i := 1; i <= 3; i++ {
			want(t, "phone "+strconv.Itoa(i), bindCode(t, c, "vp"+strconv.Itoa(i), phoneN(i), card(t, uint64(5000+i), "0000")), "8888")
		}
		want(t, "4th distinct phone", bindCode(t, c, "vp4", phoneN(4), card(t, 5004, "0000")), "9704")
		if n := e.smsCount(phoneN(4).mobile); n != 0 {
			t.Fatalf("texts to the refused phone: %d, want 0", n)
		}
		want(t, "a phone texted this hour, new user and card", bindCode(t, c, "vp5", phoneN(2), card(t, 5005, "0000")), "8888")
		want(t, "pay apply with card elements, new phone", payCardCode(t, c, "vp6", phoneN(6), card(t, 5006, "0000")), "9704")
		want(t, "pay apply with card elements, known phone", payCardCode(t, c, "vp6", phoneN(3), card(t, 5006, "0000")), "8888")

		// A phone texted again stays in the window from then: at 61
		// minutes phones 2 and 3 have left it, phone 1 has not.
		e.advance(50 * time.Minute)
		want(t, "phone 1 again at 50 minutes, counter full", bindCode(t, c, "vp7", phoneN(1), card(t, 5007, "0000")), "8888")
		e.advance(11 * time.Minute)
		want(t, "4th phone an hour later", bindCode(t, c, "vp4", phoneN(4), card(t, 5004, "0000")), "8888")
		want(t, "5th phone", bindCode(t, c, "vp8", phoneN(5), card(t, 5008, "0000")), "8888")
		want(t, "6th phone (1, 4 and 5 this hour)", bindCode(t, c, "vp9", phoneN(7), card(t, 5009, "0000")), "9704")
	})
}

// The phone a payment with an agreement texts counts too, and so does the
// one a repeated apply texts when it issues a new token; a phone texted
// again stays in the window from then, whether the counter is full or not.
func TestVelocityPayPhones(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		c := e.velocityMerchant(oidA, 2, 0)
		ctx := context.Background()
		na := e.bind(c, "vq1", phoneN(11), card(t, 5011, "0000"))
		pay := func() (map[string]string, string) {
			t.Helper()
			f := payFields("vq1", nextOrder("v"), "1.00", "http://127.0.0.1:1/notify")
			f["no_agree"] = na
			r, err := c.PayApply(ctx, f)
			return f, code(t, r, err)
		}
		_, got := pay()
		want(t, "pay with the agreement", got, "8888")
		e.advance(50 * time.Minute)
		repeat, got := pay()
		want(t, "pay again at 50 minutes", got, "8888")

		e.advance(11 * time.Minute) // phone 11 was texted 11 minutes ago
		e.bind(c, "vq2", phoneN(12), card(t, 5012, "0000"))
		want(t, "a 3rd phone this hour", bindCode(t, c, "vq3", phoneN(13), card(t, 5013, "0000")), "9704")

		e.advance(51 * time.Minute) // phone 11 leaves the window, phone 12 not
		e.bind(c, "vq4", phoneN(14), card(t, 5014, "0000"))
		_, got = pay()
		want(t, "new pay with the agreement, its phone new this hour", got, "9704")
		r, err := c.PayApply(ctx, repeat)
		wantCode(t, "identical repeat that needs a new token", r, err, "9704")
	})
}

// Card testing: more distinct card numbers in an hour than the cap answer
// 1014 at bind apply, pay apply with card elements and card-BIN. A card
// the issuer refused counts like any other, and over the cap the answer
// is 1014 whatever the issuer would say.
func TestVelocityCards(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		c := e.velocityMerchant(oidA, 0, 3)
		want(t, "card 1", bindCode(t, c, "vc1", phoneN(21), card(t, 5021, "0000")), "8888")
		want(t, "card 2, refused by the issuer", bindCode(t, c, "vc2", phoneN(22), card(t, 5022, "1101")), "1101")
		want(t, "card 3", cardBinCode(t, c, card(t, 5023, "0000")), "0000")
		want(t, "4th card, bind apply", bindCode(t, c, "vc4", phoneN(24), card(t, 5024, "0000")), "1014")
		want(t, "4th card the issuer would refuse", bindCode(t, c, "vc4", phoneN(24), card(t, 5025, "1101")), "1014")
		want(t, "4th card, pay apply", payCardCode(t, c, "vc4", phoneN(24), card(t, 5024, "0000")), "1014")
		want(t, "4th card, card-BIN", cardBinCode(t, c, card(t, 5024, "0000")), "1014")

		want(t, "a card seen this hour, bind apply", bindCode(t, c, "vc5", phoneN(25), card(t, 5023, "0000")), "8888")
		want(t, "a card seen this hour, pay apply", payCardCode(t, c, "vc6", phoneN(26), card(t, 5021, "0000")), "8888")
		want(t, "a card refused this hour, card-BIN", cardBinCode(t, c, card(t, 5022, "1101")), "0000")

		e.advance(61 * time.Minute)
		want(t, "4th card an hour later", cardBinCode(t, c, card(t, 5024, "0000")), "0000")
	})
}

// Each client address has its own counters, across merchants, with the
// cap of the merchant asked; the merchant's counter still caps requests
// from a new address.
func TestVelocityAddresses(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		const oidD = "201408071000000004"

		a, b := e.velocityMerchant(oidA, 3, 0), e.velocityMerchant(oidB, 3, 0)
		a1, b1, a2, b2 := from(a, "127.0.0.1"), from(b, "127.0.0.1"), from(a, "127.0.0.2"), from(b, "127.0.0.2")
		for i := 31; i <= 33; i++ {
			want(t, "A from address 1", bindCode(t, a1, "va"+strconv.Itoa(i), phoneN(i), card(t, uint64(5000+i), "0000")), "8888")
		}
		want(t, "B from address 1 (its counter full)", bindCode(t, b1, "vb", phoneN(34), card(t, 5034, "0000")), "9704")
		want(t, "B from address 2", bindCode(t, b2, "vb", phoneN(34), card(t, 5034, "0000")), "8888")
		want(t, "A from address 2 (A's counter full)", bindCode(t, a2, "va", phoneN(35), card(t, 5035, "0000")), "9704")

		c, d := e.velocityMerchant(oidC, 0, 3), e.velocityMerchant(oidD, 0, 3)
		c1, d1, c2, d2 := from(c, "127.0.0.3"), from(d, "127.0.0.3"), from(c, "127.0.0.4"), from(d, "127.0.0.4")
		for i := 36; i <= 38; i++ {
			want(t, "C card-BIN from address 3", cardBinCode(t, c1, card(t, uint64(5000+i), "0000")), "0000")
		}
		want(t, "D card-BIN from address 3 (its counter full)", cardBinCode(t, d1, card(t, 5039, "0000")), "1014")
		want(t, "D card-BIN from address 4", cardBinCode(t, d2, card(t, 5039, "0000")), "0000")
		want(t, "C card-BIN from address 4 (C's counter full)", cardBinCode(t, c2, card(t, 5040, "0000")), "1014")
	})
}

// Requests racing for the last places of a cap: exactly the cap's worth
// pass. A card the issuer refuses is counted under the lock too: of cards
// that all pass the issuer's pre-check, the ones past the cap answer 1014.
// Requests racing with the same new card count it once.
func TestVelocityConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		phones := from(e.velocityMerchant(oidA, 3, 0), "127.0.0.1")
		var seq atomicSeq
		n := tally(10, func() string {
			i := seq.next()
			return bindCode(t, phones, "vr"+strconv.Itoa(i), phoneN(40+i), card(t, uint64(5040+i), "0000"))
		})
		if n["8888"] != 3 || n["9704"] != 7 {
			t.Errorf("10 new phones against a cap of 3: %v, want three 8888 and seven 9704", n)
		}

		cards := from(e.velocityMerchant(oidB, 0, 3), "127.0.0.3")
		want(t, "card 1", cardBinCode(t, cards, card(t, 5060, "0000")), "0000")
		want(t, "card 2", cardBinCode(t, cards, card(t, 5061, "0000")), "0000")
		n = tally(10, func() string {
			i := seq.next()
			return bindCode(t, cards, "vs"+strconv.Itoa(i), phoneN(60+i), card(t, uint64(5070+i), "1101"))
		})
		if n["1101"] != 1 || n["1014"] != 9 {
			t.Errorf("10 refused cards against one place left: %v, want one 1101 and nine 1014", n)
		}

		// One new card in ten requests at once is one card, even for the
		// last place: each finds the others' mark once it holds the lock.
		same := from(e.velocityMerchant(oidC, 0, 1), "127.0.0.4")
		n = tally(10, func() string { return cardBinCode(t, same, card(t, 5090, "0000")) })
		if n["0000"] != 10 {
			t.Errorf("one new card for the last place, 10 requests at once: %v, want ten 0000", n)
		}
		want(t, "another card", cardBinCode(t, same, card(t, 5091, "0000")), "1014")
	})
}

// With --limits off nothing is capped and nothing is counted.
func TestVelocityOff(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.velocityMerchant(oidA, 1, 1)
		for i := 1; i <= 3; i++ {
			want(t, "bind apply "+strconv.Itoa(i), bindCode(t, c, "vo"+strconv.Itoa(i), phoneN(80+i), card(t, uint64(5080+i), "0000")), "8888")
			want(t, "card-BIN "+strconv.Itoa(i), cardBinCode(t, c, card(t, uint64(5090+i), "0000")), "0000")
			want(t, "pay apply "+strconv.Itoa(i), payCardCode(t, c, "vp"+strconv.Itoa(i), phoneN(90+i), card(t, uint64(5095+i), "0000")), "8888")
		}
		// The merchant's counter ("merchant:" + oid) holds no mark.
		err := e.app.Store.View(context.Background(), func(tx llgate.Tx) error {
			n, err := tx.CountVelocity(context.Background(), time.Time{},
				llgate.VelocityKey{Counter: "merchant:" + oidA, Kind: llgate.VelocityPhone},
				llgate.VelocityKey{Counter: "merchant:" + oidA, Kind: llgate.VelocityCard})
			if err != nil {
				return err
			}
			if n[0] != 0 || n[1] != 0 {
				t.Errorf("phone and card marks with limits off: %v, want none", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The merchant object carries "velocity"; PATCH replaces it as a whole and
// leaves it alone when absent; out-of-range values are refused.
func TestVelocityAdmin(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		e.velocityMerchant(oidA, 3, 0)
		type velocityJSON struct {
			Phones int `json:"phones_per_hour"`
			Cards  int `json:"cards_per_hour"`
		}
		var got struct {
			Velocity *velocityJSON `json:"velocity"`
		}
		check := func(what string, want velocityJSON) {
			t.Helper()
			got.Velocity = nil
			e.admin("GET", "/admin/merchants/"+oidA, nil, http.StatusOK, &got)
			if got.Velocity == nil || *got.Velocity != want {
				t.Fatalf("%s: velocity %+v, want %+v", what, got.Velocity, want)
			}
		}
		check("created", velocityJSON{3, 0})
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"velocity": map[string]int{"cards_per_hour": 5}}, http.StatusOK, nil)
		check("patched", velocityJSON{0, 5})
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"name": "renamed"}, http.StatusOK, nil)
		check("patched without velocity", velocityJSON{0, 5})
		for _, bad := range []any{
			map[string]any{"phones_per_hour": -1},
			map[string]any{"cards_per_hour": llgate.MaxVelocity + 1},
			map[string]any{"phones_per_hour": "3"},
			map[string]any{"phones_per_hour": 1.5},
		} {
			e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"velocity": bad}, http.StatusBadRequest, nil)
		}
		check("after refused patches", velocityJSON{0, 5})
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"velocity": map[string]int{"phones_per_hour": llgate.MaxVelocity}}, http.StatusOK, nil)
		check("at the maximum", velocityJSON{llgate.MaxVelocity, 0})
		key := mustKey(t, "merchant_private_pkcs8.pem")
		e.admin("POST", "/admin/merchants", map[string]any{
			"oid_partner": oidB, "public_key": protocol.MarshalPublicKeyPEM(&key.PublicKey),
			"velocity": map[string]int{"cards_per_hour": -5},
		}, http.StatusBadRequest, nil)
	})
}

// atomicSeq numbers the calls of a tally.
type atomicSeq struct{ n atomic.Int32 }

func (s *atomicSeq) next() int { return int(s.n.Add(1)) }
