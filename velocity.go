package llgate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Velocity caps, per merchant, how many distinct phones may be texted and
// how many distinct card numbers may be seen in an hour (CONTRACT.md §5),
// against SMS pumping and card testing. Each cap is counted twice: over the
// merchant's requests and over the client address's. Zero takes the
// server's default (Caps).
type Velocity struct {
	PhonesPerHour int
	CardsPerHour  int
}

// MaxVelocity bounds a merchant's own velocity caps.
const MaxVelocity = 1_000_000

// VelocityWindow is the span the velocity counters count over.
const VelocityWindow = time.Hour

// What a velocity mark counts.
const (
	VelocityPhone = "phone" // a phone a code was texted to: 9704 over the cap
	VelocityCard  = "card"  // a card number seen: 1014 over the cap
)

// VelocityKey names a counter's phones or cards. A counter is a
// merchant's or a client address's.
type VelocityKey struct {
	Counter string
	Kind    string // VelocityPhone or VelocityCard
}

// VelocityMark is a phone or card a counter saw, by its keyed fingerprint
// (never the number).
type VelocityMark struct {
	VelocityKey
	FP string
}

// The two sentinels tell a velocity refusal from any other error with the
// same code (1014 is also the daily amount limit).
var (
	errTooManyPhones = errors.New("velocity cap (phones)")
	errTooManyCards  = errors.New("velocity cap (cards)")
)

// velocity is what one request counts against: its counters (the
// merchant's, then the client address's when known) and the caps that
// apply (0 = not checked).
type velocity struct {
	oid           string
	counters      []string
	phones, cards int
}

// seen is a phone or card a request counts.
type seen struct{ kind, fp string }

func phoneSeen(fp string) seen { return seen{VelocityPhone, fp} }
func cardSeen(fp string) seen  { return seen{VelocityCard, fp} }

// velocity returns the counters and caps of a request by m from addr. With
// caps off (--limits off) nothing is checked and nothing is counted: a
// server restarted with limits on counts from then.
func (caps Caps) velocity(v Vault, m *Merchant, addr netip.Addr) velocity {
	vel := velocity{
		oid:    m.OidPartner,
		phones: capOr(m.Velocity.PhonesPerHour, caps.PhonesPerHour),
		cards:  capOr(m.Velocity.CardsPerHour, caps.CardsPerHour),
	}
	if vel.phones == 0 && vel.cards == 0 {
		return vel
	}
	vel.counters = []string{"merchant:" + m.OidPartner}
	if addr.IsValid() {
		vel.counters = append(vel.counters, "addr:"+v.Fingerprint("addr", addrKey(addr)))
	}
	return vel
}

// addrKey is the client address a counter stands for: an IPv4 address, or
// an IPv6 address's /64, which one customer's line usually holds whole.
func addrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // a valid IPv6 address always has a /64
	return p.String()
}

// capOr is the merchant's own cap, or the server's default; a default of 0
// means velocity caps are off, whatever the merchant set.
func capOr(own, def int) int {
	if def == 0 || own == 0 {
		return def
	}
	return own
}

// capped drops what has no cap.
func (v velocity) capped(items []seen) []seen {
	out := items[:0:0]
	for _, it := range items {
		if it.fp != "" && v.capOf(it.kind) > 0 {
			out = append(out, it)
		}
	}
	return out
}

func (v velocity) capOf(kind string) int {
	if kind == VelocityCard {
		return v.cards
	}
	return v.phones
}

// over refuses a new phone or card when the counter already holds n.
func (v velocity) over(kind, counter string, n int) error {
	max := v.capOf(kind)
	if n < max {
		return nil
	}
	who := "this merchant"
	if counter != v.counters[0] {
		who = "this client address"
	}
	if kind == VelocityCard {
		return &Error{Code: CodeLimitDay, Err: errTooManyCards,
			Detail: fmt.Sprintf("velocity: %d distinct card numbers per hour for %s", max, who)}
	}
	return &Error{Code: CodeSMSFailed, Err: errTooManyPhones,
		Detail: fmt.Sprintf("velocity: %d distinct phones texted per hour for %s", max, who)}
}

// marks are the marks of items in each of the request's counters, in
// order: the first refusal names the first item and the merchant first.
func (v velocity) marks(items []seen) []VelocityMark {
	var out []VelocityMark
	for _, it := range items {
		for _, c := range v.counters {
			out = append(out, VelocityMark{VelocityKey{c, it.kind}, it.fp})
		}
	}
	return out
}

// unseen returns the marks whose found is false.
func unseen(marks []VelocityMark, found []bool) []VelocityMark {
	var out []VelocityMark
	for i, m := range marks {
		if !found[i] {
			out = append(out, m)
		}
	}
	return out
}

func keysOf(marks []VelocityMark) []VelocityKey {
	keys := make([]VelocityKey, len(marks))
	for i, m := range marks {
		keys[i] = m.VelocityKey
	}
	return keys
}

// check refuses a request that would take one of its counters over a cap
// (9704 phones, 1014 cards) and otherwise marks what it saw, in the
// caller's transaction. A phone or card a counter saw within the hour
// passes and its mark moves to now: a customer retrying is never refused.
// New ones are counted under the locks of their counters, taken after
// every other lock of the use case (callers check last) and in one order
// everywhere, so two requests cannot both take the last place. Items have
// distinct kinds, so each counter and kind appears once.
func (v velocity) check(ctx context.Context, tx Tx, now time.Time, items ...seen) error {
	items = v.capped(items)
	if len(items) == 0 {
		return nil
	}
	since := now.Add(-VelocityWindow)
	marks := v.marks(items)
	found, err := tx.TouchVelocity(ctx, v.oid, now, since, marks...)
	if err != nil {
		return err
	}
	fresh := unseen(marks, found)
	if len(fresh) == 0 {
		return nil
	}
	fresh = slices.SortedFunc(slices.Values(fresh), compareMarks)
	counts, err := tx.LockVelocity(ctx, since, keysOf(fresh)...)
	if err != nil {
		return err
	}
	for i, m := range fresh {
		if err := v.over(m.Kind, m.Counter, counts[i]); err != nil {
			// Unless another request marked it while this one waited.
			again, terr := tx.TouchVelocity(ctx, v.oid, now, since, m)
			if terr != nil {
				return terr
			}
			if !again[0] {
				return err
			}
		}
	}
	// A mark another request added meanwhile is not added (nor counted)
	// again.
	_, err = tx.AddVelocity(ctx, v.oid, now, fresh...)
	return err
}

// compareMarks is the one order velocity locks are taken in; a refusal
// names cards before phones, the merchant before the address.
func compareMarks(a, b VelocityMark) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(rank(a.Counter), rank(b.Counter)), cmp.Compare(a.Counter, b.Counter))
}

func rank(counter string) int {
	if strings.HasPrefix(counter, "merchant:") {
		return 0
	}
	return 1
}

// precheck refuses, before the issuer is asked, a phone or card that is new
// to a counter already at its cap. It reads without locks and marks
// nothing (check decides): it spares a real issuer probes that would be
// refused anyway. The simulated issuer answers from this process (its
// charges are local, and so are its holder checks), and refused hides its
// answers past the cap, so with it there is nothing to spare and no read.
// It reads whether they are new only when a counter is at its cap.
func (v velocity) precheck(ctx context.Context, s Store, iss Issuer, now time.Time, items ...seen) error {
	if l, ok := iss.(LocalCharger); ok && l.ChargeIsLocal() {
		return nil
	}
	items = v.capped(items)
	if len(items) == 0 {
		return nil
	}
	since := now.Add(-VelocityWindow)
	marks := v.marks(items)
	return s.View(ctx, func(tx Tx) error {
		counts, err := tx.CountVelocity(ctx, since, keysOf(marks)...)
		if err != nil {
			return err
		}
		var full []VelocityMark
		for i, m := range marks {
			if counts[i] >= v.capOf(m.Kind) {
				full = append(full, m)
			}
		}
		if len(full) == 0 {
			return nil
		}
		found, err := tx.VelocitySeen(ctx, since, full...)
		if err != nil {
			return err
		}
		for i, m := range full {
			if !found[i] {
				return v.over(m.Kind, m.Counter, v.capOf(m.Kind))
			}
		}
		return nil
	})
}

// refused is told that an apply failed after the issuer was asked about
// its card. The card counts all the same: card testers learn as much from
// a refusal as from a success, and any answer after the issuer's check
// tells them it passed. When the card would not have been let through, the
// answer becomes 1014, so a tester over the cap learns nothing of the
// issuer's answer. If the mark cannot be written, the original answer
// stands.
func (v velocity) refused(ctx context.Context, s Store, now time.Time, cardFP string, err error) error {
	if v.cards == 0 || cardFP == "" || errors.Is(err, errTooManyCards) {
		return err
	}
	verr := s.Update(ctx, func(tx Tx) error { return v.check(ctx, tx, now, cardSeen(cardFP)) })
	if errors.Is(verr, errTooManyCards) {
		return verr
	}
	return err
}
