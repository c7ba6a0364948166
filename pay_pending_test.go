package llgate

import (
	"strconv"
	"testing"
	"time"
)

func TestPendingPays(t *testing.T) {
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	hint := func(token string) verifySnapshot {
		return verifySnapshot{c: &Challenge{Token: token, ExpiresAt: now.Add(TokenLifetime)}, o: &Order{Token: token}}
	}
	t.Run("TakeOnce", func(t *testing.T) {
		var pp PendingPays
		pp.put("a", hint("a"))
		if s, ok := pp.take("a", now); !ok || s.o.Token != "a" {
			t.Fatalf("take: %v %v", s, ok)
		}
		if _, ok := pp.take("a", now); ok {
			t.Fatal("a hint served twice")
		}
	})
	t.Run("Expired", func(t *testing.T) {
		var pp PendingPays
		pp.put("a", hint("a"))
		if _, ok := pp.take("a", now.Add(TokenLifetime)); ok {
			t.Fatal("the hint of an expired token served")
		}
	})
	t.Run("OldestPushedOut", func(t *testing.T) {
		var pp PendingPays
		for i := range pendingCap + 1 {
			pp.put(strconv.Itoa(i), hint(strconv.Itoa(i)))
		}
		if _, ok := pp.take("0", now); ok {
			t.Error("the oldest hint is still kept past the cap")
		}
		if _, ok := pp.take(strconv.Itoa(pendingCap), now); !ok {
			t.Error("the newest hint is gone")
		}
		if n := len(pp.m); n != pendingCap-1 {
			t.Errorf("%d hints kept, want %d", n, pendingCap-1)
		}
	})
	t.Run("Nil", func(t *testing.T) {
		var pp *PendingPays
		pp.put("a", hint("a"))
		if _, ok := pp.take("a", now); ok {
			t.Fatal("a nil PendingPays served a hint")
		}
	})
}
