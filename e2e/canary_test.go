package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite"
)

// canary is personal data distinctive enough to grep for.
var canary = struct {
	card, credit, idNo, mobile, name, cvv2 string
}{
	name: "欧阳金丝雀", mobile: "15987654321", cvv2: "987", idNo: withCheckChar("44030119770707313"),
}

func init() {
	canary.card, _ = issuer.TestCard("622202", 19, 31415926, "0000")
	canary.credit, _ = issuer.TestCard("622148", 16, 2718281, "0000")
}

// withCheckChar appends the GB 11643 check character to 17 digits.
func withCheckChar(s string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return s + string("10X98765432"[sum%11])
}

// needles are the byte strings that must appear nowhere at rest, in logs or
// in admin answers: each canary as is, its digits alone, and in hex and
// base64 (at each of base64's three alignments), because a value that
// slips out as []byte (a JSON log of a byte slice is base64) or through an
// encoder is still a leak.
func needles() map[string]string {
	out := map[string]string{`cvv2 value`: `"` + canary.cvv2 + `"`, "cvv2 pair": "cvv2=" + canary.cvv2}
	for what, v := range map[string]string{
		"card": canary.card, "credit card": canary.credit, "id_no": canary.idNo, "mobile": canary.mobile, "name": canary.name,
	} {
		out[what] = v
		if d := digitsOf(v); len(d) >= 11 && d != v {
			out[what+" (digits)"] = d
		}
		out[what+" (hex)"] = hex.EncodeToString([]byte(v))
		out[what+" (HEX)"] = strings.ToUpper(hex.EncodeToString([]byte(v)))
		for shift := 0; shift < 3; shift++ {
			// Encode behind shift filler bytes and keep only the characters
			// that depend on v alone.
			enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{0}, shift), v...))
			lead := (shift*8 + 5) / 6
			tail := (len(v)+shift)%3 + 1
			if len(enc)-tail > lead+8 {
				out[what+" (base64 "+strconv.Itoa(shift)+")"] = enc[lead : len(enc)-tail]
			}
		}
	}
	return out
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// echoReceiver is a merchant's notify_url that echoes what it got, as many
// PHP receivers do (var_dump, print_r, or json_encode with \u escapes),
// and answers success so the notification is delivered.
func echoReceiver(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		escaped, _ := json.Marshal(m) // Go escapes nothing; PHP's default escapes non-ASCII
		fmt.Fprintf(w, "received %s\nas php: %s\n{'ret_code':'0000','ret_msg':'ok'}", b, phpEscape(string(escaped)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/notify.php"
}

// phpEscape spells non-ASCII as \uXXXX, as PHP's json_encode does.
func phpEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "\\u%04x", r)
	}
	return b.String()
}

// exercise runs the whole cycle with the canary data through every path
// that handles it: binds (debit and credit, with risk items), a payment
// with card elements to a merchant that takes the extra notification
// fields, a refund, an echoing receiver, failures that are logged (a wrong
// signature among them); it returns every admin answer it read.
func exercise(t *testing.T, store llgate.Store, logs *syncBuffer) [][]byte {
	e := newEnv(t, store, func(o *app.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := e.merchant(oidA, map[string]any{"notify_extra_fields": true})
	ctx := context.Background()
	p := person{canary.name, "0", canary.idNo, canary.mobile}

	na := e.bind(c, "canary-user", p, canary.card)
	f := bindFields("canary-user", p, canary.credit)
	f["pay_type"], f["vali_date"], f["cvv2"] = "3", "3012", canary.cvv2
	f["risk_item"] = `{"frms_ware_category":"4007","user_info_mercht_userno":"canary-user","user_info_dt_register":"20250101120000","user_info_id_no":"` + canary.idNo + `","user_info_full_name":"` + canary.name + `"}`
	r, err := c.BindApply(ctx, f)
	wantCode(t, "credit apply", r, err, "8888")
	v, err := c.BindVerify(ctx, map[string]string{"user_id": "canary-user", "token": r.Get("token"), "verify_code": e.lastCode(canary.mobile)})
	wantCode(t, "credit verify", v, err, "0000")
	l, err := c.BindList(ctx, map[string]string{"user_id": "canary-user", "offset": "0", "card_no": canary.card})
	wantCode(t, "list", l, err, "0000")
	r, err = c.CardBin(ctx, map[string]string{"card_no": canary.card})
	wantCode(t, "card bin", r, err, "0000")

	// A payment with card elements, notified with the extra fields to a
	// receiver that echoes them back; then a refund of it.
	echo := echoReceiver(t)
	pf := payFields("canary-payer", nextOrder("canary"), "20.00", echo)
	pf["info_order"] = "canary order"
	for k, v := range map[string]string{"card_no": canary.card, "acct_name": canary.name, "id_type": "0", "id_no": canary.idNo, "bind_mob": canary.mobile} {
		pf[k] = v
	}
	pa, err := c.PayApply(ctx, pf)
	wantCode(t, "pay apply with card elements", pa, err, "8888")
	pv, err := verifyPay(c, pa, e.lastCode(canary.mobile))
	wantCode(t, "pay verify", pv, err, "0000")
	rf, err := c.Refund(ctx, map[string]string{"no_refund": nextOrder("canary-refund"), "dt_refund": "20261122100500",
		"money_refund": "5.00", "oid_paybill": pa.Get("oid_paybill"), "notify_url": echo})
	wantCode(t, "refund", rf, err, "0000")
	// Easy Payment: a pre-authorisation with the credit card's elements
	// through the direct API, captured.
	ef := easyFields("canary-payer", nextOrder("canary-f"), "9.00", echo, "F", p, canary.credit)
	ef["vali_date"], ef["cvv2"] = "3012", canary.cvv2
	ea, err := c.Do(ctx, protocol.EPEasypayApply, ef)
	wantCode(t, "easypay apply (F)", ea, err, "0000")
	ev, err := c.Do(ctx, protocol.EPEasypayVerify, map[string]string{"token": ea.Get("token"), "verify_code": e.lastCode(canary.mobile)})
	wantCode(t, "easypay verify (F)", ev, err, "0000")
	ec, err := c.Do(ctx, protocol.EPPreauthCapture, map[string]string{"user_id": "canary-payer", "pay_type": "F",
		"no_order": ea.Get("no_order"), "money_order": "5.00", "info_order": "capture note"})
	wantCode(t, "capture", ec, err, "0000")
	// A hosted checkout entry presetting the holder, abandoned before its
	// code: its card-less order and its session stay at rest.
	cf := map[string]string{"oid_partner": oidA, "sign_type": "RSA", "user_id": "canary-payer", "busi_partner": "101001",
		"no_order": nextOrder("canary-co"), "dt_order": "20261122100000", "name_goods": "canary goods", "money_order": "1.00",
		"notify_url": echo, "url_return": "http://127.0.0.1:9/return", "flag_modify": "1",
		"risk_item": `{"user_info_bind_phone":"` + canary.mobile + `","user_info_full_name":"` + canary.name + `"}`,
		"card_no":   canary.card, "acct_name": canary.name, "id_type": "0", "id_no": canary.idNo}
	sig, err := protocol.Sign(c.Key, "RSA", protocol.SignSourceMap(cf))
	if err != nil {
		t.Fatal(err)
	}
	cf["sign"] = sig
	entryForm := url.Values{}
	for k, v := range cf {
		entryForm.Set(k, v)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(e.srv.URL+"/payment/bankgateway.htm", entryForm)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("checkout entry: HTTP %d, want 303", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cashierPage, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	scan(t, "the cashier page", cashierPage)
	eq, err := c.OrderQuery(ctx, map[string]string{"no_order": cf["no_order"]})
	wantCode(t, "order query of the entry", eq, err, "0000")
	if eq.Get("result_pay") != llgate.OrderWaiting {
		t.Fatalf("the entry's order: %v", eq.Fields)
	}

	// A payout to the canary card and name, with them in its memo and
	// info_order too.
	e.topUp(oidA, "10.00")
	po := payoutFields(nextOrder("canary-po"), "1.00", canary.card, echo)
	po["acct_name"], po["info_order"], po["memo"] = canary.name, canary.name+canary.card, canary.name
	payout(t, c, po, "0000")
	e.advance(6 * time.Minute)
	e.settle()
	e.waitAttempts(oidA, 3)

	// Failures are logged and recorded in the request log: they must be masked too.
	other := *c
	other.Key = mustKey(t, "platform_private_pkcs8.pem")
	r, err = other.BindApply(ctx, f) // wrong key: 1001 with the sign source in the request log
	wantCode(t, "wrong key", r, err, "1001")
	f["id_no"] = canary.idNo[:17] + "0"
	r, err = c.BindApply(ctx, f)
	wantCode(t, "bad id", r, err, "1004")
	f["id_no"], f["vali_date"] = canary.idNo, "1401"
	r, err = c.BindApply(ctx, f)
	wantCode(t, "expired", r, err, "1103")
	u, err := c.Unbind(ctx, map[string]string{"user_id": "canary-user", "no_agree": na})
	wantCode(t, "unbind", u, err, "0000")

	// Every admin answer, reports included.
	e.advance(48 * time.Hour)
	e.settleReports()
	var answers [][]byte
	for _, path := range []string{
		"/admin/merchants", "/admin/merchants/" + oidA, "/admin/requests?limit=1000", "/admin/notifications",
		"/admin/sms?mobile=" + canary.mobile, "/admin/clock", "/admin/payouts", "/admin/merchants/" + oidA + "/balance",
		"/admin/reports?oid_partner=" + oidA,
	} {
		answers = append(answers, e.adminBody("GET", path))
	}
	var reports struct{ Reports []struct{ Name string } }
	if err := json.Unmarshal(answers[len(answers)-1], &reports); err != nil || len(reports.Reports) == 0 {
		t.Fatalf("no reports to scan: %v %s", err, answers[len(answers)-1])
	}
	for _, rp := range reports.Reports {
		answers = append(answers, e.adminBody("GET", "/admin/reports/"+rp.Name))
	}
	// Every console page, the signature doctor fed a pasted sign source
	// holding the canaries, and the canary phone's SMS inbox.
	pasted := "acct_name=" + canary.name + "&bind_mob=" + canary.mobile + "&card_no=" + canary.card + "&id_no=" + canary.idNo + "&oid_partner=" + oidA
	pages := consolePages(t, e.srv.URL, canary.mobile, pasted)
	for _, want := range []string{"/console/payments", "/console/agreements", "/console/refunds", "/console/notifications", "/console/requests"} {
		if _, ok := pages[want]; !ok {
			t.Errorf("the console crawl did not reach %s", want)
		}
	}
	doctored := 0
	for p, html := range pages {
		doctored += strings.Count(p, "POST ")
		scan(t, "console page "+p, []byte(html))
	}
	if doctored == 0 {
		t.Error("the crawl ran no signature doctor")
	}
	return answers
}

func scan(t *testing.T, where string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		t.Fatalf("%s: nothing to scan", where)
	}
	for what, n := range needles() {
		if bytes.Contains(data, []byte(n)) {
			t.Errorf("%s holds the %s in plaintext", where, what)
		}
	}
}

func scanAnswers(t *testing.T, answers [][]byte) {
	t.Helper()
	for i, a := range answers {
		scan(t, "admin answer "+strconv.Itoa(i), a)
	}
}

func TestCanarySQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "canary.db")
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	answers := exercise(t, store, logs)
	scanAnswers(t, answers)
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan(t, filepath.Base(f), b)
	}
	scan(t, "the logs", []byte(logs.String()))
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path) // after the checkpoint at close
	scan(t, "the checkpointed database", b)
}

func TestCanaryPostgres(t *testing.T) {
	base := os.Getenv("LLGATE_TEST_POSTGRES")
	if base == "" {
		t.Skip("LLGATE_TEST_POSTGRES not set; skipping PostgreSQL tests")
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump not installed")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "canary_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	store, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &syncBuffer{}
	scanAnswers(t, exercise(t, store, logs))

	dumpURL, _ := url.Parse(base)
	dumpURL.RawQuery = ""
	out, err := exec.Command("pg_dump", "--schema="+schema, "--data-only", dumpURL.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !strings.Contains(string(out), "agreements") {
		t.Fatalf("pg_dump output does not look like our schema")
	}
	scan(t, "pg_dump", out)
	scan(t, "the logs", []byte(logs.String()))
}
