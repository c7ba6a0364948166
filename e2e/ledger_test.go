package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/protocol"
)

// adminBalance is the admin balance object (§4.15).
type adminBalance struct {
	AmtBalance  string `json:"amt_balance"`
	AmtUnsettle string `json:"amt_unsettle"`
	Ledger      []struct {
		At, Kind, Amount, Unsettle, Balance, Ref string
	} `json:"ledger"`
}

func (e *env) balance(oid string) adminBalance {
	e.t.Helper()
	var b adminBalance
	e.admin("GET", "/admin/merchants/"+oid+"/balance", nil, http.StatusOK, &b)
	return b
}

func (b adminBalance) kinds() string {
	var k []string
	for _, e := range b.Ledger {
		k = append(k, e.Kind+" "+e.Amount)
	}
	return strings.Join(k, ", ")
}

// wantMoney checks both the signed /traderAcctQuery.htm answer and the
// admin balance.
func wantMoney(t *testing.T, e *env, c *client.Client, oid, balance, unsettle string) {
	t.Helper()
	r, err := c.Do(context.Background(), protocol.EPBalanceQuery, map[string]string{"api_version": "1.0"})
	wantCode(t, "balance query", r, err, "0000")
	if keysOf(r.Fields) != "amt_balance,amt_unsettle,ret_code,ret_msg,sign,sign_type" {
		t.Fatalf("balance answer fields: %s", keysOf(r.Fields))
	}
	if r.Get("amt_balance") != balance || r.Get("amt_unsettle") != unsettle {
		t.Fatalf("balance query: amt_balance %s, amt_unsettle %s; want %s, %s", r.Get("amt_balance"), r.Get("amt_unsettle"), balance, unsettle)
	}
	if b := e.balance(oid); b.AmtBalance != balance || b.AmtUnsettle != unsettle {
		t.Fatalf("admin balance: %+v, want %s, %s", b, balance, unsettle)
	}
}

// nextChinaMidnight is 00:00 China time after t.
func nextChinaMidnight(t time.Time) time.Time {
	c := t.In(llgate.ChinaTime)
	return time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, llgate.ChinaTime)
}

// TestBalanceAndLedger: payments land in amt_unsettle and settle T+1 at
// 00:00 China time (settle_days 0 at once); refunds draw on unsettled then
// settled money, 5006 when both are short, and a failed refund gives its
// money back; the admin top-up never takes amt_balance below zero (409);
// the ledger lists every move, newest first (§4.12, §4.15, Decisions 10,
// 19). The harness recomputes every balance from its ledger afterwards.
func TestBalanceAndLedger(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		ctx := context.Background()
		var m struct {
			SettleDays int `json:"settle_days"`
		}
		e.admin("GET", "/admin/merchants/"+oidA, nil, http.StatusOK, &m)
		if m.SettleDays != 1 {
			t.Fatalf("new merchant: settle_days %d, want 1", m.SettleDays)
		}
		wantMoney(t, e, c, oidA, "0.00", "0.00")

		na := e.bind(c, "bl", zhang, card(t, 2100, "0000"))
		p := paid(t, e, c, "bl", na, "10.00", rcv.url())
		wantMoney(t, e, c, oidA, "0.00", "10.00")
		r, err := c.Refund(ctx, refundFields(p, nextOrder("bl"), "3.00", rcv.url()))
		wantCode(t, "refund", r, err, "0000")
		wantMoney(t, e, c, oidA, "0.00", "7.00") // reserved at the apply

		// One second before 00:00 China time on the day after: nothing
		// moves; at midnight the payment settles (what the refund left).
		midnight := nextChinaMidnight(e.app.Clock.Now())
		e.advance(midnight.Sub(e.app.Clock.Now()) - time.Second)
		e.settle()
		wantMoney(t, e, c, oidA, "0.00", "7.00")
		e.advance(2 * time.Second)
		e.settle()
		wantMoney(t, e, c, oidA, "7.00", "0.00")
		if got := e.balance(oidA).kinds(); got != "settlement 7.00, refund -3.00, payment 10.00" {
			t.Fatalf("ledger: %s", got)
		}

		// Top-ups: never below zero.
		e.admin("POST", "/admin/merchants/"+oidA+"/balance", map[string]string{"amount": "-7.01"}, http.StatusConflict, nil)
		e.admin("POST", "/admin/merchants/"+oidA+"/balance", map[string]string{"amount": "abc"}, http.StatusBadRequest, nil)
		e.admin("POST", "/admin/merchants/000000000000000000/balance", map[string]string{"amount": "1.00"}, http.StatusNotFound, nil)
		var b adminBalance
		e.admin("POST", "/admin/merchants/"+oidA+"/balance", map[string]string{"amount": "-7.00"}, http.StatusOK, &b)
		if b.AmtBalance != "0.00" || len(b.Ledger) == 0 || b.Ledger[0].Kind != llgate.LedgerTopup || b.Ledger[0].Amount != "-7.00" {
			t.Fatalf("after the top-up: %+v", b)
		}
		r, err = c.Refund(ctx, refundFields(p, nextOrder("bl"), "1.00", rcv.url()))
		wantCode(t, "refund with nothing left", r, err, "5006")
		e.admin("POST", "/admin/merchants/"+oidA+"/balance", map[string]string{"amount": "5.00"}, http.StatusOK, nil)
		r, err = c.Refund(ctx, refundFields(p, nextOrder("bl"), "1.00", rcv.url()))
		wantCode(t, "refund from the settled balance", r, err, "0000")
		wantMoney(t, e, c, oidA, "4.00", "0.00")

		// A refund the issuer refuses (outcome 9920) gives its money back
		// as it was taken: here unsettled.
		nf := e.bind(c, "bl", zhang, card(t, 2101, "9920"))
		p2 := paid(t, e, c, "bl", nf, "2.00", rcv.url())
		r, err = c.Refund(ctx, refundFields(p2, nextOrder("bl"), "2.00", rcv.url()))
		wantCode(t, "refund to fail", r, err, "0000")
		wantMoney(t, e, c, oidA, "4.00", "0.00")
		e.advance(llgate.RefundDelay + time.Second)
		e.settle()
		q, err := c.RefundQuery(ctx, map[string]string{"no_refund": r.Get("no_refund")})
		if wantCode(t, "refund query", q, err, "0000"); q.Get("sta_refund") != "3" {
			t.Fatalf("refund state %s, want 3", q.Get("sta_refund"))
		}
		wantMoney(t, e, c, oidA, "4.00", "2.00")
		if k := e.balance(oidA).Ledger[0]; k.Kind != llgate.LedgerRefundReversal || k.Amount != "2.00" || k.Ref != r.Get("oid_refundno") {
			t.Fatalf("newest entry: %+v", k)
		}

		// settle_days 0: at once; out of range: 400.
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"settle_days": 31}, http.StatusBadRequest, nil)
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"settle_days": -1}, http.StatusBadRequest, nil)
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"settle_days": 0}, http.StatusOK, nil)
		paid(t, e, c, "bl", na, "1.50", rcv.url())
		wantMoney(t, e, c, oidA, "5.50", "2.00")

		// settle_days 3: three China days after the payment's date.
		e.admin("PATCH", "/admin/merchants/"+oidA, map[string]any{"settle_days": 3}, http.StatusOK, nil)
		paid(t, e, c, "bl", na, "1.00", rcv.url())
		due := nextChinaMidnight(e.app.Clock.Now()).AddDate(0, 0, 2)
		e.advance(due.Sub(e.app.Clock.Now()) - time.Second)
		e.settle()
		wantMoney(t, e, c, oidA, "7.50", "1.00") // the 2.00 given back settled at the first midnight
		e.advance(2 * time.Second)
		e.settle()
		wantMoney(t, e, c, oidA, "8.50", "0.00")

		// Another merchant sees only its own money; a reset clears it.
		cb := e.merchant(oidB, nil)
		wantMoney(t, e, cb, oidB, "0.00", "0.00")
		e.admin("POST", "/admin/reset", map[string]string{"oid_partner": oidA}, http.StatusOK, nil)
		wantMoney(t, e, c, oidA, "0.00", "0.00")
		if b := e.balance(oidA); len(b.Ledger) != 0 {
			t.Fatalf("ledger after reset: %s", b.kinds())
		}
	})
}

// TestBalanceQueryVectors replays the balance queries real clients sent
// (LLP-YT-Java with both line separators, LLP-YT-PHP), at the documented
// path and under the /traderapi prefix: each answers a signed 0000.
func TestBalanceQueryVectors(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		var merchants []map[string]any
		raw, _ := os.ReadFile(filepath.Join("..", "testdata", "clients", "keys", "merchants.json"))
		if err := json.Unmarshal(raw, &merchants); err != nil {
			t.Fatal(err)
		}
		e.admin("POST", "/admin/merchants", merchants[0], http.StatusCreated, nil)
		e.admin("POST", "/admin/merchants/"+merchants[0]["oid_partner"].(string)+"/balance", map[string]string{"amount": "12.34"}, http.StatusOK, nil)
		dir := filepath.Join("..", "testdata", "clients-wave2")
		for _, v := range []string{"java-lf/03-traderacctquery", "java-crlf/03-traderacctquery", "yt-php/01-traderacctquery"} {
			head, err := os.ReadFile(filepath.Join(dir, v+".head"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := os.ReadFile(filepath.Join(dir, v+".body"))
			for _, prefix := range []string{"", "/traderapi"} {
				h := strings.Replace(string(head), "POST /traderAcctQuery.htm", "POST "+prefix+"/traderAcctQuery.htm", 1)
				if got := e.raw(t, append([]byte(h), body...)); got != "0000" {
					t.Errorf("%s at %s/traderAcctQuery.htm: ret_code %s, want 0000", v, prefix, got)
				}
			}
		}
	})
}
