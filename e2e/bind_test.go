package e2e

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/issuer"
)

const (
	oidA = "201408071000000001"
	oidB = "201408071000000002"
	oidC = "201408071000000003"
)

func TestBindFlow(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		c := e.merchant(oidA, nil)
		ctx := context.Background()
		cardNo := card(t, 1, "0000")

		t.Run("MPAY", func(t *testing.T) {
			r, err := c.BindApply(ctx, bindFields("u1", zhang, cardNo))
			wantCode(t, "apply", r, err, "8888")
			if len(r.Get("token")) != 32 || r.Get("user_id") != "u1" || r.Get("oid_partner") != oidA {
				t.Fatalf("apply answer: %v", r.Fields)
			}
			v, err := c.BindVerify(ctx, map[string]string{"user_id": "u1", "token": r.Get("token"), "verify_code": e.lastCode(zhang.mobile)})
			wantCode(t, "verify", v, err, "0000")
			if len(v.Get("no_agree")) != 16 || v.Get("card_no") != cardNo[len(cardNo)-4:] {
				t.Fatalf("verify answer: %v", v.Fields)
			}
			l, err := c.BindList(ctx, map[string]string{"user_id": "u1", "offset": "0"})
			wantCode(t, "list", l, err, "0000")
			items, err := l.AgreementList()
			if err != nil || len(items) != 1 || l.Get("count") != "1" {
				t.Fatalf("list: %v %v", items, err)
			}
			it := items[0]
			if it["no_agree"] != v.Get("no_agree") || it["card_no"] != cardNo[15:] || it["bank_code"] != "01020000" ||
				it["bank_name"] != "中国工商银行" || it["card_type"] != "2" || it["bind_mobile"] != "138****8000" {
				t.Errorf("agreement: %v", it)
			}
			u, err := c.Unbind(ctx, map[string]string{"user_id": "u1", "no_agree": v.Get("no_agree")})
			wantCode(t, "unbind", u, err, "0000")
			u, err = c.Unbind(ctx, map[string]string{"user_id": "u1", "no_agree": v.Get("no_agree")})
			wantCode(t, "unbind twice", u, err, "3003")
			l, err = c.BindList(ctx, map[string]string{"user_id": "u1", "offset": "0"})
			wantCode(t, "list after unbind", l, err, "8901")
		})

		t.Run("Trader", func(t *testing.T) {
			f := bindFields("u2", zhang, cardNo)
			f["pay_type"] = "M"
			r, err := c.BindApplyPlain(ctx, f)
			wantCode(t, "trader apply", r, err, "0000")
			if len(r.Get("token")) != 32 {
				t.Fatalf("trader apply answer: %v", r.Fields)
			}
			v, err := c.BindVerifyPlain(ctx, map[string]string{"user_id": "u2", "token": r.Get("token"), "verify_code": e.lastCode(zhang.mobile)})
			wantCode(t, "trader verify", v, err, "0000")
			f["pay_type"] = "2" // an MPAY pay_type on the trader API
			r, err = c.BindApplyPlain(ctx, f)
			wantCode(t, "trader pay_type 2", r, err, "1004")
		})

		t.Run("CardBin", func(t *testing.T) {
			r, err := c.CardBin(ctx, map[string]string{"card_no": cardNo})
			wantCode(t, "card bin", r, err, "0000")
			if r.Get("bank_code") != "01020000" || r.Get("card_type") != "2" || r.Get("card_no") != cardNo[15:] || r.Get("bank_name") != "中国工商银行" {
				t.Errorf("card bin: %v", r.Fields)
			}
			r, err = c.CardBin(ctx, map[string]string{"card_no": creditCard(t, 1, "0000")})
			if wantCode(t, "credit card bin", r, err, "0000"); r.Get("card_type") != "3" {
				t.Errorf("credit card_type: %v", r.Fields)
			}
			bad := cardNo[:18] + string('0'+(cardNo[18]-'0'+1)%10)
			r, err = c.CardBin(ctx, map[string]string{"card_no": bad})
			wantCode(t, "luhn failure", r, err, "1100")
			r, err = c.CardBin(ctx, map[string]string{"card_no": "7777000000100004"})
			wantCode(t, "no BIN", r, err, "5001")
			r, err = c.CardBin(ctx, map[string]string{"card_no": prepaid(t)})
			wantCode(t, "prepaid", r, err, "9912")
			r, err = c.CardBin(ctx, map[string]string{"card_no": "62220212345abc"})
			wantCode(t, "malformed", r, err, "1004")
		})
	})
}

func prepaid(t testing.TB) string {
	c, err := issuer.TestCard("620019", 16, 7, "0000")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBindIssuerOutcomes(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, nil)
		ctx := context.Background()
		for i, outcome := range []string{"1101", "1102", "1105", "1107", "1108", "1109", "1110", "1112", "1113", "1114", "1115", "1200", "1805", "9000", "9912", "9970", "9704"} {
			r, err := c.BindApply(ctx, bindFields("u-out-"+outcome, zhang, card(t, uint64(100+i), outcome)))
			wantCode(t, "outcome "+outcome, r, err, outcome)
		}
		r, err := c.BindApply(ctx, bindFields("u-ok", zhang, card(t, 200, "4321")))
		wantCode(t, "unlisted digits succeed", r, err, "8888")
	})
}

func TestBindValidation(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, nil)
		ctx := context.Background()
		good := func() map[string]string { return bindFields("uv", zhang, card(t, 300, "0000")) }
		cases := []struct {
			name string
			edit func(map[string]string)
			want string
		}{
			{"MissingCard", func(f map[string]string) { delete(f, "card_no") }, "1004"},
			{"MissingUser", func(f map[string]string) { delete(f, "user_id") }, "1004"},
			{"BadPayType", func(f map[string]string) { f["pay_type"] = "X" }, "1004"},
			{"BadIDCheckChar", func(f map[string]string) { f["id_no"] = "110105199003071238" }, "1004"},
			{"BadMobile", func(f map[string]string) { f["bind_mob"] = "12345" }, "1004"},
			{"RiskItemNotObject", func(f map[string]string) { f["risk_item"] = "[1,2]" }, "1004"},
			{"NoRiskItem", func(f map[string]string) { delete(f, "risk_item") }, "8888"},
			{"Luhn", func(f map[string]string) { f["card_no"] = "6222021234567800003" }, "1100"},
			{"UnknownBIN", func(f map[string]string) { f["card_no"] = "7777000000100004" }, "1102"},
			{"Prepaid", func(f map[string]string) { f["card_no"] = prepaid(t) }, "9912"},
			{"DebitCardCreditPayType", func(f map[string]string) { f["pay_type"] = "3" }, "5601"},
			{"CreditCardDebitPayType", func(f map[string]string) { f["card_no"] = creditCard(t, 2, "0000") }, "5601"},
			{"CreditNoValiDate", func(f map[string]string) {
				f["card_no"], f["pay_type"], f["cvv2"] = creditCard(t, 3, "0000"), "3", "123"
			}, "1004"},
			{"CreditNoCVV", func(f map[string]string) {
				f["card_no"], f["pay_type"], f["vali_date"] = creditCard(t, 4, "0000"), "3", "3012"
			}, "1004"},
			{"CreditExpired", func(f map[string]string) {
				f["card_no"], f["pay_type"], f["vali_date"], f["cvv2"] = creditCard(t, 5, "0000"), "3", "1402", "123"
			}, "1103"},
			{"CreditMalformed", func(f map[string]string) {
				f["card_no"], f["pay_type"], f["vali_date"], f["cvv2"] = creditCard(t, 6, "0000"), "3", "3013", "123"
			}, "1103"},
			{"CreditOK", func(f map[string]string) {
				f["card_no"], f["pay_type"], f["vali_date"], f["cvv2"] = creditCard(t, 7, "0000"), "P", "3012", "123"
			}, "8888"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := good()
				f["user_id"] = "uv" + strconv.Itoa(i)
				tc.edit(f)
				r, err := c.BindApply(ctx, f)
				wantCode(t, tc.name, r, err, tc.want)
			})
		}
	})
}

func TestBindCodes(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, nil)
		ctx := context.Background()
		apply := func(user string, seed uint64) string {
			r, err := c.BindApply(ctx, bindFields(user, zhang, card(t, seed, "0000")))
			wantCode(t, "apply", r, err, "8888")
			return r.Get("token")
		}
		verify := func(user, token, code string) (*client.Response, error) {
			return c.BindVerify(ctx, map[string]string{"user_id": user, "token": token, "verify_code": code})
		}
		wrong := func(code string) string {
			if code == "000000" {
				return "111111"
			}
			return "000000"
		}

		t.Run("WrongThenRight", func(t *testing.T) {
			tok := apply("w1", 400)
			code := e.lastCode(zhang.mobile)
			r, err := verify("w1", tok, wrong(code))
			wantCode(t, "wrong", r, err, "9700")
			r, err = verify("w1", tok, code)
			wantCode(t, "right", r, err, "0000")
			r, err = verify("w1", tok, code)
			wantCode(t, "reuse", r, err, "1000")
		})
		t.Run("FiveWrongKillTheToken", func(t *testing.T) {
			tok := apply("w2", 401)
			code := e.lastCode(zhang.mobile)
			for i := 1; i <= 4; i++ {
				r, err := verify("w2", tok, wrong(code))
				wantCode(t, "wrong "+strconv.Itoa(i), r, err, "9700")
			}
			r, err := verify("w2", tok, wrong(code))
			wantCode(t, "5th wrong", r, err, "9702")
			r, err = verify("w2", tok, code)
			wantCode(t, "right code after death", r, err, "1000")
			if tok2 := apply("w2", 401); tok2 == tok {
				t.Error("apply after the token died returned the dead token")
			}
		})
		t.Run("CodeExpiry", func(t *testing.T) {
			tok := apply("w3", 402)
			code := e.lastCode(zhang.mobile)
			e.advance(11 * time.Minute)
			r, err := verify("w3", tok, code)
			wantCode(t, "old code", r, err, "9703")
		})
		t.Run("TokenExpiry", func(t *testing.T) {
			tok := apply("w4", 403)
			code := e.lastCode(zhang.mobile)
			e.advance(31 * time.Minute)
			r, err := verify("w4", tok, code)
			wantCode(t, "expired token", r, err, "1000")
		})
		t.Run("Resend", func(t *testing.T) {
			tok := apply("w5", 404)
			first := e.lastCode(zhang.mobile)
			var second string
			for range 5 { // a resend may draw the same 6 digits; try again
				if tok2 := apply("w5", 404); tok2 != tok {
					t.Fatalf("resend: token %s, want the same %s", tok2, tok)
				}
				if second = e.lastCode(zhang.mobile); second != first {
					break
				}
			}
			r, err := verify("w5", tok, first)
			wantCode(t, "replaced code", r, err, "9700")
			r, err = verify("w5", tok, second)
			wantCode(t, "newest code", r, err, "0000")
		})
		t.Run("TokenBoundToUserAndMerchant", func(t *testing.T) {
			tok := apply("w6", 405)
			code := e.lastCode(zhang.mobile)
			r, err := verify("someone-else", tok, code)
			wantCode(t, "other user", r, err, "1000")
			b := e.merchant(oidB, nil)
			r, err = b.BindVerify(ctx, map[string]string{"user_id": "w6", "token": tok, "verify_code": code})
			wantCode(t, "other merchant", r, err, "1000")
			r, err = verify("w6", tok, code)
			wantCode(t, "owner", r, err, "0000")
		})
		t.Run("FixedCode", func(t *testing.T) {
			f := e.merchant(oidC, map[string]any{"sms_code": "123456"})
			r, err := f.BindApply(ctx, bindFields("w7", zhang, card(t, 406, "0000")))
			wantCode(t, "apply", r, err, "8888")
			v, err := f.BindVerify(ctx, map[string]string{"user_id": "w7", "token": r.Get("token"), "verify_code": "123456"})
			wantCode(t, "fixed code", v, err, "0000")
		})
	})
}

func TestBindRules(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, nil)
		ctx := context.Background()

		t.Run("DuplicateBind", func(t *testing.T) {
			cardNo := card(t, 500, "0000")
			e.bind(c, "d1", zhang, cardNo)
			r, err := c.BindApply(ctx, bindFields("d1", zhang, cardNo))
			wantCode(t, "second bind of the same card", r, err, "3009")
		})
		t.Run("CardholderRegistry", func(t *testing.T) {
			cardNo := card(t, 501, "0000")
			e.bind(c, "h1", zhang, cardNo)
			other := func(edit func(*person)) person { p := zhang; edit(&p); return p }
			for _, tc := range []struct {
				who  person
				want string
			}{
				{other(func(p *person) { p.idNo = li.idNo }), "1109"},
				{other(func(p *person) { p.name = "张三丰" }), "1113"},
				{other(func(p *person) { p.mobile = "13700137000" }), "1114"},
				{other(func(p *person) { p.name, p.mobile = "张三丰", "13700137000" }), "1108"},
				{zhang, "8888"},
			} {
				r, err := c.BindApply(ctx, bindFields("h2", tc.who, cardNo))
				wantCode(t, "holder "+tc.want, r, err, tc.want)
			}
		})
		t.Run("NaturalPerson", func(t *testing.T) {
			na := e.bind(c, "p1", zhang, card(t, 502, "0000"))
			e.bind(c, "p1", zhang, card(t, 503, "0000")) // same person, another card: fine
			r, err := c.BindApply(ctx, bindFields("p1", li, card(t, 504, "0000")))
			wantCode(t, "another person on the user_id", r, err, "7018")
			// The same person may bind with another phone.
			withPhone := zhang
			withPhone.mobile = "13600136000"
			e.bind(c, "p1", withPhone, card(t, 505, "0000"))
			l, err := c.BindList(ctx, map[string]string{"user_id": "p1", "offset": "0"})
			wantCode(t, "list", l, err, "0000")
			items, _ := l.AgreementList()
			for _, it := range items {
				r, err := c.Unbind(ctx, map[string]string{"user_id": "p1", "no_agree": it["no_agree"]})
				wantCode(t, "unbind", r, err, "0000")
			}
			_ = na
			e.bind(c, "p1", li, card(t, 504, "0000")) // free again
		})
		t.Run("MerchantIsolation", func(t *testing.T) {
			na := e.bind(c, "i1", zhang, card(t, 510, "0000"))
			b := e.merchant(oidB, nil)
			r, err := b.Unbind(ctx, map[string]string{"user_id": "i1", "no_agree": na})
			wantCode(t, "B unbinds A's agreement", r, err, "3003")
			r, err = b.BindList(ctx, map[string]string{"user_id": "i1", "offset": "0"})
			wantCode(t, "B lists A's user", r, err, "8901")
			r, err = c.Unbind(ctx, map[string]string{"user_id": "i1", "no_agree": "1234567890123456"})
			wantCode(t, "unknown no_agree", r, err, "3003")
			// B may bind the same person's card for the same user_id: separate users.
			e.bind(b, "i1", li, card(t, 511, "0000"))
		})
		t.Run("Platform", func(t *testing.T) {
			p1 := e.merchant("201408071000000011", map[string]any{"platform": "plat"})
			p2 := e.merchant("201408071000000012", map[string]any{"platform": "plat"})
			out := e.merchant("201408071000000013", nil)
			f := bindFields("pu", zhang, card(t, 520, "0000"))
			f["platform"] = "plat"
			r, err := p1.BindApply(ctx, f)
			wantCode(t, "apply via platform", r, err, "8888")
			v, err := p1.BindVerify(ctx, map[string]string{"user_id": "pu", "platform": "plat", "token": r.Get("token"), "verify_code": e.lastCode(zhang.mobile)})
			wantCode(t, "verify via platform", v, err, "0000")
			l, err := p2.BindList(ctx, map[string]string{"user_id": "pu", "platform": "plat", "offset": "0"})
			wantCode(t, "sibling merchant lists", l, err, "0000")
			l, err = p2.BindList(ctx, map[string]string{"user_id": "pu", "offset": "0"})
			wantCode(t, "sibling without platform", l, err, "8901")
			l, err = out.BindList(ctx, map[string]string{"user_id": "pu", "platform": "plat", "offset": "0"})
			wantCode(t, "outsider naming the platform", l, err, "1004")
			u, err := p2.Unbind(ctx, map[string]string{"user_id": "pu", "platform": "plat", "no_agree": v.Get("no_agree")})
			wantCode(t, "sibling unbinds", u, err, "0000")
		})
		t.Run("Paging", func(t *testing.T) {
			var made []string
			for i := 0; i < 12; i++ {
				made = append(made, e.bind(c, "pg", zhang, card(t, uint64(600+i), "0000")))
				e.advance(time.Second) // distinct creation times: newest first is observable
			}
			l0, err := c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "0"})
			wantCode(t, "page 0", l0, err, "0000")
			l1, err := c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "1"})
			wantCode(t, "page 1", l1, err, "0000")
			p0, _ := l0.AgreementList()
			p1, _ := l1.AgreementList()
			if len(p0) != 10 || len(p1) != 2 || l0.Get("count") != "12" || l1.Get("count") != "12" {
				t.Fatalf("pages: %d + %d, count %s", len(p0), len(p1), l0.Get("count"))
			}
			if p0[0]["no_agree"] != made[11] || p1[1]["no_agree"] != made[0] {
				t.Errorf("not newest first")
			}
			f, err := c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "0", "no_agree": made[3]})
			if wantCode(t, "filter no_agree", f, err, "0000"); f.Get("count") != "1" {
				t.Errorf("no_agree filter count %s", f.Get("count"))
			}
			f, err = c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "0", "card_no": card(t, 605, "0000")})
			if wantCode(t, "filter card_no", f, err, "0000"); f.Get("count") != "1" {
				t.Errorf("card_no filter count %s", f.Get("count"))
			}
			f, err = c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "0", "pay_type": "M"})
			if wantCode(t, "filter pay_type M", f, err, "0000"); f.Get("count") != "12" {
				t.Errorf("pay_type M count %s", f.Get("count"))
			}
			f, err = c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "0", "pay_type": "3"})
			wantCode(t, "filter pay_type 3", f, err, "8901")
			f, err = c.BindList(ctx, map[string]string{"user_id": "pg", "offset": "x"})
			wantCode(t, "bad offset", f, err, "1004")
		})
	})
}

func TestBindCaps(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t)) // limits on
		c := e.merchant(oidA, nil)
		ctx := context.Background()
		p := zhang
		p.mobile = "13500135000"
		for i := 0; i < 5; i++ {
			r, err := c.BindApply(ctx, bindFields("cap"+strconv.Itoa(i), p, card(t, uint64(700+i), "0000")))
			wantCode(t, "send "+strconv.Itoa(i+1), r, err, "8888")
		}
		r, err := c.BindApply(ctx, bindFields("cap5", p, card(t, 705, "0000")))
		wantCode(t, "6th text in 10 minutes", r, err, "9704")
		if n := e.smsCount(p.mobile); n != 5 {
			t.Errorf("texts sent: %d, want 5", n)
		}
		e.advance(11 * time.Minute)
		r, err = c.BindApply(ctx, bindFields("cap5", p, card(t, 705, "0000")))
		wantCode(t, "after 10 minutes", r, err, "8888")
	})
}

func TestBindConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		ctx := context.Background()

		t.Run("OneTokenTwentyVerifies", func(t *testing.T) {
			r, err := c.BindApply(ctx, bindFields("cc1", zhang, card(t, 800, "0000")))
			wantCode(t, "apply", r, err, "8888")
			n := tally(20, func() string {
				v, err := c.BindVerify(ctx, map[string]string{"user_id": "cc1", "token": r.Get("token"), "verify_code": "123456"})
				return code(t, v, err)
			})
			if n["0000"] != 1 || n["1000"] != 19 {
				t.Fatalf("answers: %v, want one 0000 and nineteen 1000", n)
			}
			assertAgreements(t, c, "cc1", 1)
		})
		t.Run("TwentyAppliesOneCard", func(t *testing.T) {
			cardNo := card(t, 801, "0000")
			tokens := make(chan string, 20)
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := c.BindApply(ctx, bindFields("cc2", zhang, cardNo))
					if code(t, r, err) == "8888" {
						tokens <- r.Get("token")
					}
				}()
			}
			wg.Wait()
			close(tokens)
			seen := map[string]bool{}
			for tok := range tokens {
				seen[tok] = true
			}
			for tok := range seen {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = c.BindVerify(ctx, map[string]string{"user_id": "cc2", "token": tok, "verify_code": "123456"})
				}()
			}
			wg.Wait()
			assertAgreements(t, c, "cc2", 1)
		})
	})
}

func assertAgreements(t *testing.T, c *client.Client, user string, want int) {
	t.Helper()
	l, err := c.BindList(context.Background(), map[string]string{"user_id": user, "offset": "0"})
	if got := code(t, l, err); got != "0000" || l.Get("count") != strconv.Itoa(want) {
		t.Fatalf("agreements of %s: code %s count %s, want %d", user, got, l.Get("count"), want)
	}
}
