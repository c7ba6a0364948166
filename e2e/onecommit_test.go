package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
)

// txLog wraps a real store and records, for every committed Update, which
// of the watched writes it made.
type txLog struct {
	llgate.Store
	mu        sync.Mutex
	committed []writes
}

type writes struct{ sms, challenge bool }

type loggedTx struct {
	llgate.Tx
	w *writes
}

func (t loggedTx) InsertSMS(ctx context.Context, m *llgate.SMSMessage) error {
	t.w.sms = true
	return t.Tx.InsertSMS(ctx, m)
}

func (t loggedTx) InsertChallenge(ctx context.Context, c *llgate.Challenge) error {
	t.w.challenge = true
	return t.Tx.InsertChallenge(ctx, c)
}

func (t loggedTx) UpdateChallenge(ctx context.Context, c *llgate.Challenge) error {
	t.w.challenge = true
	return t.Tx.UpdateChallenge(ctx, c)
}

func (s *txLog) Update(ctx context.Context, fn func(tx llgate.Tx) error) error {
	var w writes
	err := s.Store.Update(ctx, func(tx llgate.Tx) error {
		w = writes{}
		return fn(loggedTx{tx, &w})
	})
	if err == nil {
		s.mu.Lock()
		s.committed = append(s.committed, w)
		s.mu.Unlock()
	}
	return err
}

// texts returns how many committed transactions stored a text, and how many
// of those wrote no challenge.
func (s *txLog) texts() (n, alone int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.committed {
		if w.sms {
			n++
			if !w.challenge {
				alone++
			}
		}
	}
	return n, alone
}

// In the sandbox the code's text is stored in the transaction that commits
// the code (one durable commit per apply, and never a text without its
// challenge or a challenge without its text); a resend too.
func TestApplyTextCommitsWithChallenge(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		log := &txLog{Store: open(t)}
		e := newEnv(t, log, limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		ctx := context.Background()

		r, err := c.BindApply(ctx, bindFields("one", zhang, card(t, 950, "0000")))
		wantCode(t, "bind apply", r, err, "8888")
		r, err = c.BindApply(ctx, bindFields("one", zhang, card(t, 950, "0000")))
		wantCode(t, "bind apply again (resend)", r, err, "8888")
		na := e.bind(c, "two", zhang, card(t, 951, "0000"))
		payWithAgree(t, c, "two", na, "1.00", "http://127.0.0.1:1/notify")

		// Two bind applies, the apply inside e.bind, one pay apply.
		if n, alone := log.texts(); n != 4 || alone != 0 {
			t.Fatalf("transactions storing a text: %d (want 4), of which %d without the challenge (want 0)", n, alone)
		}

		// With limits off the texts are not counted for the caps.
		if n := e.textsCounted(zhang.mobile); n != 0 {
			t.Fatalf("texts counted for the caps with limits off: %d, want 0", n)
		}
	})
}

// With limits on, every text counts against the caps.
func TestApplyTextCounted(t *testing.T) {
	e := newEnv(t, sqlitetest.Open(t))
	c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
	ctx := context.Background()
	r, err := c.BindApply(ctx, bindFields("counted", zhang, card(t, 952, "0000")))
	wantCode(t, "bind apply", r, err, "8888")
	if n := e.textsCounted(zhang.mobile); n != 1 {
		t.Fatalf("texts counted: %d, want 1", n)
	}
}

// textsCounted is how many texts to mobile count against the caps.
func (e *env) textsCounted(mobile string) int {
	e.t.Helper()
	var n int
	err := e.app.Store.View(context.Background(), func(tx llgate.Tx) (err error) {
		n, err = tx.CountSMSSends(context.Background(), llgate.CapMobile, e.app.Vault.Fingerprint("mobile", mobile), time.Time{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
