package llgate

import (
	"testing"
	"time"
)

// TestSameCharge: a one-transaction verify may only write what it prepared
// when the locked order is still the payment it prepared for: its state,
// token and times may have moved (counting it, a repeated apply), its
// terms may not.
func TestSameCharge(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	snap := &Order{
		OidPaybill: "2026112200000001", OidPartner: "201408071000001539", NoOrder: "o1", Amount: 100, MoneyOrder: "1.00",
		NoAgree: "2026112200000009", Status: OrderWaiting, Token: "t1", Sealed: []byte{1, 2, 3},
		ValidUntil: at.Add(time.Hour), CreatedAt: at, UpdatedAt: at,
	}
	counted := func(edit func(o *Order)) *Order {
		o := *snap
		o.Sealed = append([]byte(nil), snap.Sealed...)
		if edit != nil {
			edit(&o)
		}
		now := at.Add(time.Minute)
		o.Status, o.CountedAt, o.SettleAt, o.UpdatedAt = OrderProcessing, now, now.Add(recoverAfter), now
		return &o
	}
	for _, tc := range []struct {
		name string
		edit func(o *Order)
		want bool
	}{
		{"Unchanged", nil, true},
		{"NewToken", func(o *Order) { o.Token = "t2" }, true},
		{"Amount", func(o *Order) { o.Amount = 101 }, false},
		{"Agreement", func(o *Order) { o.NoAgree = "" }, false},
		{"Secret", func(o *Order) { o.Sealed[0] = 9 }, false},
		{"ValidUntil", func(o *Order) { o.ValidUntil = at.Add(2 * time.Hour) }, true}, // checked under lock
		{"NotifyURL", func(o *Order) { o.NotifyURL = "http://x/n" }, false},
		{"Card", func(o *Order) { o.CardFP = "other" }, false},
	} {
		if got := sameCharge(counted(tc.edit), snap); got != tc.want {
			t.Errorf("%s: sameCharge = %v, want %v", tc.name, got, tc.want)
		}
	}
}
