package faulttest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Person is a cardholder.
type Person struct {
	Name, IDType, IDNo, Mobile string
}

// NewPerson makes the n-th distinct cardholder: a valid PRC identity card
// number (birth date and GB 11643 check character) and a mobile number.
func NewPerson(n int) Person {
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%15000)
	id17 := "110105" + birth.Format("20060102") + fmt.Sprintf("%03d", (n/15000)%1000)
	return Person{
		Name: "测试" + string(rune('甲'+n%10)), IDType: "0", IDNo: id17 + string(idCheck(id17)),
		Mobile: fmt.Sprintf("138%08d", n%100000000),
	}
}

// idCheck is the GB 11643-1999 check character of 17 digits.
func idCheck(s string) byte {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(s[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// User is one of the merchant's users; each has its own cardholder.
type User struct {
	ID     string
	Person Person
	Cards  []*Card
}

// Card is one card a user binds (once: an unbound card is not bound again).
type Card struct {
	No      string
	Outcome string // the test-card outcome digits
	User    *User
	NoAgree string // once known

	BindAcked     bool // a bind verify answered 0000 with NoAgree
	BindLearned   bool // NoAgree read from the bind list after a lost verify answer
	BindUnknown   bool // a bind verify's answer was lost and is not resolved
	Unbound       bool // an unbind answered 0000 (or 3003 after a lost answer)
	UnbindUnknown bool // an unbind's answer was lost
	UnbindAcked   bool // an unbind answered 0000
}

// Active reports whether the card's agreement is known to exist and not
// (possibly) unbound: it must be in the bind list.
func (c *Card) Active() bool {
	return c.NoAgree != "" && (c.BindAcked || c.BindLearned) && !c.Unbound && !c.UnbindUnknown
}

// Order is one payment.
type Order struct {
	NoOrder, DtOrder, Money, NotifyURL string
	Amount                             int64 // fen
	Card                               *Card
	OidPaybill                         string
	Token                              string

	ApplyAcked    bool   // pay apply answered 8888 with OidPaybill
	ApplyUnknown  bool   // a pay apply's answer was lost
	Paid          bool   // pay verify answered 0000 (or 2007 after a lost answer)
	Processing    bool   // pay verify answered 2008
	Failed        string // pay verify answered this failure code
	VerifyUnknown bool   // a pay verify's answer was lost
	Refunds       []*Refund
	Reserved      bool // taken from the workers for a burst (PaidOrders)

	// From the last query.
	Exists int    // 1 found, -1 not found, 0 not queried
	State  string // result_pay
}

// Refund is one refund application.
type Refund struct {
	NoRefund, Money string
	Amount          int64
	Order           *Order
	OidRefundno     string
	Over            bool   // sent over the refundable amount on purpose
	Acked           bool   // answered 0000
	Unknown         bool   // the last answer was lost
	Rejected        string // answered this code instead of 0000

	Exists int
	State  string // sta_refund
}

// Ledger is every call's outcome as the clients saw it.
type Ledger struct {
	Mu      sync.Mutex
	Users   []*User
	Orders  []*Order
	Refunds []*Refund
	// Preauths are the Easy Payment pre-authorisations (load_preauth.go).
	Preauths []*Preauth
	// Checkouts are the hosted checkout payments (load_checkout.go).
	Checkouts []*Checkout
	Acked     Counter // acknowledged state-changing answers by kind
	Unknown   Counter // calls whose answer was lost, by endpoint

	nextUser int
}

// NewUser adds a user with its own cardholder.
func (l *Ledger) NewUser(prefix string) *User {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	n := l.nextUser
	l.nextUser++
	u := &User{ID: prefix + "-u" + strconv.Itoa(n), Person: NewPerson(n)}
	l.Users = append(l.Users, u)
	return u
}

// Snapshot returns the slices as they are now.
func (l *Ledger) Snapshot() (users []*User, orders []*Order, refunds []*Refund) {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return append([]*User(nil), l.Users...), append([]*Order(nil), l.Orders...), append([]*Refund(nil), l.Refunds...)
}

// FormatFen writes an amount in one of the forms merchants send: "12",
// "12.5" or "12.50" when they mean the same (style picks one).
func FormatFen(fen int64, style int) string {
	switch {
	case style%3 == 0 && fen%100 == 0:
		return strconv.FormatInt(fen/100, 10)
	case style%3 == 1 && fen%10 == 0:
		return fmt.Sprintf("%d.%d", fen/100, fen%100/10)
	default:
		return fmt.Sprintf("%d.%02d", fen/100, fen%100)
	}
}

// ParseFen reads a decimal amount with up to two places; -1 if malformed.
func ParseFen(s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 {
		return -1
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || f < 0 {
		return -1
	}
	return w*100 + f
}
