package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/adminclient"
	"github.com/llgate/llgate/protocol"
)

// payUsers is how many users, with one agreement each, the pay-apply path
// pays for in turn.
const payUsers = 200

// payState carries the pay paths' setup from pay-apply to pay-verify: the
// bound users and every successful pay-apply answer, warm-up included.
type payState struct {
	agreements []string // no_agree of pay user i
	mu         sync.Mutex
	answers    [][]byte // raw pay-apply answers with ret_code 8888
	receiver   *Receiver
	restore    http.RoundTripper // hc's transport before the capture
}

// capture is the transport the pay-apply phase runs on: it keeps every
// successful pay-apply answer so the pay-verify requests can be built from
// them once the apply phase is over. It costs the client one copy of each
// answer; the server does not see it.
type capture struct {
	base  http.RoundTripper
	route string
	state *payState
}

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.base.RoundTrip(req)
	if err != nil || req.URL.Path != c.route || res.StatusCode != http.StatusOK {
		return res, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if bytes.Contains(raw, []byte(`"ret_code":"8888"`)) {
		c.state.mu.Lock()
		c.state.answers = append(c.state.answers, raw)
		c.state.mu.Unlock()
	}
	return res, nil
}

// paySource returns the builders of the pay paths. pay-apply binds the pay
// users, makes the merchant live (a merchant that is not live may take only
// 50.00 per person a day) and starts the notification receiver; pay-verify
// builds one verify per captured apply answer.
func paySource(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities, p path) (func(int) ([]byte, error), int, error) {
	switch p.name {
	case "pay-apply":
		if m.pay != nil {
			return nil, 0, errors.New("pay-apply runs once per bench")
		}
		adm := &adminclient.Client{URL: cfg.BaseURL, Token: cfg.AdminToken, HTTP: hc}
		if err := adm.Do(ctx, http.MethodPatch, "/admin/merchants/"+m.oid, map[string]any{"live": true}, http.StatusOK, nil); err != nil {
			return nil, 0, fmt.Errorf("making the merchant live: %w", err)
		}
		k := payUsers
		if cfg.Requests > 0 {
			k = min(k, max(cfg.Requests, 1))
		}
		agreements, err := bindPayUsers(ctx, cfg, hc, m, ids, k)
		if err != nil {
			return nil, 0, err
		}
		rcv, err := StartReceiver()
		if err != nil {
			return nil, 0, err
		}
		st := &payState{agreements: agreements, receiver: rcv, restore: hc.Transport}
		m.pay = st
		hc.Transport = &capture{base: hc.Transport, route: client.PathPayApply, state: st}
		notifyURL := rcv.URL()
		dt := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102150405")
		return func(i int) ([]byte, error) {
			u := ids.user('p', i%k)
			return m.sealed(payFields(u, st.agreements[i%k], fmt.Sprintf("b%s-%d", ids.run, i), dt, notifyURL))
		}, 0, nil
	case "pay-verify":
		st := m.pay
		if st == nil {
			return nil, 0, errors.New("pay-verify must follow pay-apply in the same run (--paths pay-apply,pay-verify)")
		}
		if c, ok := hc.Transport.(*capture); ok && c.state == st {
			hc.Transport = st.restore
		}
		st.mu.Lock()
		answers := st.answers
		st.answers = nil
		st.mu.Unlock()
		fmt.Fprintf(cfg.Log, "bench: pay-verify: %d pay-apply answers to verify\n", len(answers))
		return func(i int) ([]byte, error) {
			if i >= len(answers) {
				return nil, errNoMoreAnswers
			}
			a, err := protocol.Decode(answers[i])
			if err != nil {
				return nil, err
			}
			return m.signed(map[string]string{
				"token": a.Get("token"), "verify_code": SMSCode, "no_order": a.Get("no_order"), "money_order": a.Get("money_order"),
			})
		}, len(answers), nil
	}
	return nil, 0, fmt.Errorf("no source for %s", p.name)
}

// errNoMoreAnswers is what the pay-verify builder says past the last
// pay-apply answer; runPath's callers size the phase to the answers.
var errNoMoreAnswers = errors.New("bench: more pay-verify requests than pay-apply answers (run pay-apply longer)")

// payCaps bounds the warm-up and the timed phase of pay-verify by the
// pay-apply answers there are, one verify each; other paths pass through.
func payCaps(p path, distinct, warm, n int) (int, int) {
	if p.name != "pay-verify" {
		return warm, n
	}
	warm = min(warm, distinct/2)
	return warm, min(n, distinct-warm)
}

// payFields is a pay apply with an agreement, as e2e/pay_test.go builds it.
func payFields(user, noAgree, noOrder, dtOrder, notifyURL string) map[string]string {
	return map[string]string{
		"user_id": user, "no_agree": noAgree, "busi_partner": "101001", "no_order": noOrder, "dt_order": dtOrder,
		"name_goods": "点读机", "info_order": "bench order", "money_order": "0.01", "notify_url": notifyURL,
		"pay_type": "2", "valid_order": "10080",
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + user +
			`","user_info_dt_register":"20250101120000","goods_name":"点读机"}`,
	}
}

// bindPayUsers binds k pay users through the SDK, as bindUsers does, and
// returns their agreement numbers.
func bindPayUsers(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities, k int) ([]string, error) {
	c := m.sdk
	agreements := make([]string, k)
	errs := make([]error, cfg.Concurrency)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= k || ctx.Err() != nil {
					return
				}
				user := ids.user('p', j)
				seed, card := ids.card()
				r, err := c.BindApply(ctx, bindFields(user, seed, card))
				if err == nil {
					r, err = c.BindVerify(ctx, map[string]string{"user_id": user, "token": r.Get("token"), "verify_code": SMSCode})
				}
				if err == nil && r.Get("no_agree") == "" {
					err = fmt.Errorf("bind verify answered %s without no_agree", r.Get("ret_code"))
				}
				if err != nil {
					errs[w] = fmt.Errorf("binding pay user %s: %w", user, err)
					return
				}
				agreements[j] = r.Get("no_agree")
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return agreements, errors.Join(errs...)
}

// Receiver is a notification receiver in the bench process: it answers
// every POST at once with the acknowledgement and counts the bodies by
// their SHA-256, so duplicates show.
type Receiver struct {
	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	seen     map[[32]byte]int
	total    atomic.Int64
	distinct atomic.Int64
	first    atomic.Int64 // UnixNano of the first delivery, 0 before
	bodyErrs atomic.Int64
	all      chan struct{} // closed when distinct reaches want
	want     int64
}

// ack is the acknowledgement llgate expects (CONTRACT.md §7).
var ack = []byte(`{"ret_code":"0000","ret_msg":"交易成功"}`)

// StartReceiver listens on a free loopback port.
func StartReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, seen: map[[32]byte]int{}, all: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// expect makes Done close once n distinct bodies have come.
func (r *Receiver) expect(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.want = n
	if r.distinct.Load() >= n {
		close(r.all)
	}
}

// URL is where to send notifications.
func (r *Receiver) URL() string { return "http://" + r.ln.Addr().String() + "/notify" }

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	if err != nil || len(body) == 0 || req.Method != http.MethodPost {
		r.bodyErrs.Add(1)
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	r.first.CompareAndSwap(0, time.Now().UnixNano())
	h := sha256.Sum256(body)
	r.mu.Lock()
	r.seen[h]++
	if r.seen[h] == 1 {
		if d := r.distinct.Add(1); r.want > 0 && d == r.want {
			close(r.all)
		}
	}
	r.mu.Unlock()
	r.total.Add(1)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(ack)))
	_, _ = w.Write(ack)
}

// Counts returns the deliveries, the distinct bodies among them and the
// malformed requests.
func (r *Receiver) Counts() (total, distinct, bad int64) {
	return r.total.Load(), r.distinct.Load(), r.bodyErrs.Load()
}

// Close stops the receiver.
func (r *Receiver) Close() error { return r.srv.Close() }
