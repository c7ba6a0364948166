package llgate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
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

// VelocityMark records that a counter saw a phone or a card. Counter is a
// merchant's counter or a client address's; FP is the keyed fingerprint of
// the phone or card (never the number); OidPartner is the merchant whose
// request marked it last (a reset of the merchant deletes it). The store
// keeps one mark per counter, kind and fingerprint, with the latest At.
type VelocityMark struct {
	OidPartner string
	Counter    string
	Kind       string
	FP         string
	At         time.Time
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
		vel.counters = append(vel.counters, "addr:"+v.Fingerprint("addr", addr.Unmap().String()))
	}
	return vel
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

// check refuses a request that would take one of its counters over a cap
// (9704 phones, 1014 cards) and otherwise marks what it saw, in the
// caller's transaction. A phone or card a counter saw within the hour
// passes and its mark moves to now: a customer retrying is never refused.
// A new one is counted under the lock of its counter and kind, taken after
// every other lock of the use case (callers check last) and in one order
// everywhere, so two requests cannot both take the last place.
func (v velocity) check(ctx context.Context, tx Tx, now time.Time, items ...seen) error {
	items = v.capped(items)
	if len(items) == 0 {
		return nil
	}
	since := now.Add(-VelocityWindow)
	var fresh []*VelocityMark
	for _, it := range items {
		for _, c := range v.counters {
			m := &VelocityMark{OidPartner: v.oid, Counter: c, Kind: it.kind, FP: it.fp, At: now}
			known, err := tx.TouchVelocity(ctx, m, since)
			if err != nil {
				return err
			}
			if !known {
				fresh = append(fresh, m)
			}
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	locks := slices.SortedFunc(slices.Values(fresh), func(a, b *VelocityMark) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Counter, b.Counter))
	})
	for _, m := range locks {
		if err := tx.LockVelocity(ctx, m.Counter, m.Kind); err != nil {
			return err
		}
	}
	for _, m := range fresh {
		// Another request may have marked it while this one waited.
		known, err := tx.TouchVelocity(ctx, m, since)
		if err != nil {
			return err
		}
		if known {
			continue
		}
		n, err := tx.CountVelocity(ctx, m.Counter, m.Kind, since)
		if err != nil {
			return err
		}
		if err := v.over(m.Kind, m.Counter, n); err != nil {
			return err
		}
		if err := tx.AddVelocity(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// precheck refuses, before the issuer is asked, a phone or card that is new
// to a counter already at its cap. It reads without locks and marks
// nothing (check decides): it spares the issuer probes that would be
// refused anyway.
func (v velocity) precheck(ctx context.Context, s Store, now time.Time, items ...seen) error {
	items = v.capped(items)
	if len(items) == 0 {
		return nil
	}
	since := now.Add(-VelocityWindow)
	return s.View(ctx, func(tx Tx) error {
		for _, it := range items {
			for _, c := range v.counters {
				known, err := tx.VelocitySeen(ctx, c, it.kind, it.fp, since)
				if err != nil {
					return err
				}
				if known {
					continue
				}
				n, err := tx.CountVelocity(ctx, c, it.kind, since)
				if err != nil {
					return err
				}
				if err := v.over(it.kind, c, n); err != nil {
					return err
				}
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
