package golive

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"maps"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// The made-up payment's fixed values: an ICBC debit card paid with an
// agreement, as most quick-pay notifications are.
const (
	defaultMoney = "0.01"
	payType      = "2"
	bankCode     = "01020000" // ICBC
	infoOrder    = "llgate go-live check"
)

// The extra fields' values: the README's test cardholder, never a real
// person (a merchant's receiver may store what it is sent).
var extraHolder = llgate.Card{IDType: "0", IDNo: "110105199003071239", AcctName: "张三", CardNo: "6222020000000100008"}

// bodies are the three notification bodies the check sends.
type bodies struct {
	fields  map[string]string // the genuine notification's fields, sign included
	genuine []byte            // sent as a and again as d
	badSign []byte            // b: signed with another key
	changed []byte            // c: money_order changed after signing
	amount  string            // c's money_order
}

// build makes the notification as llgate's payment use case does
// (CONTRACT.md §7, protocol.PaymentNotice): signed once by notify.Signer,
// then forged twice.
func (c *Checker) build(now time.Time) (*bodies, error) {
	china := now.In(llgate.ChinaTime)
	o := &llgate.Order{
		OidPartner: c.OidPartner, NoOrder: c.NoOrder, OidPaybill: llgate.NewOidPaybill(),
		DtOrder:    china.Add(-time.Minute).Format("20060102150405"), // ordered, then paid
		MoneyOrder: c.MoneyOrder, PayType: payType, BankCode: bankCode,
	}
	if o.NoOrder == "" {
		o.NoOrder = "GOLIVE-" + china.Format("20060102150405")
	}
	if o.MoneyOrder == "" {
		o.MoneyOrder = defaultMoney
	}
	n := &llgate.PaymentNotice{Order: o, InfoOrder: infoOrder, NoAgree: llgate.NewNoAgree(), SettleDate: llgate.ChinaDate(now)}
	if c.ExtraFields {
		n.Holder = &extraHolder
	}
	// The fields of llgate's own payment notifications (the endpoint table).
	fields := protocol.PaymentNoticeOf(n)
	b := &bodies{}
	var err error
	if b.genuine, err = (notify.Signer{Key: c.PlatformKey}).Sign(fields, c.SignType); err != nil {
		return nil, fmt.Errorf("golive: sign: %w", err)
	}
	signed, err := protocol.Decode(b.genuine)
	if err != nil {
		return nil, fmt.Errorf("golive: read back the signed notification: %w", err)
	}
	b.fields = make(map[string]string, signed.Len())
	for _, k := range signed.Keys() {
		b.fields[k] = signed.Get(k)
	}

	forger := c.ForgeKey
	if forger == nil {
		// Same size as the platform key, so the forged sign is as long as
		// a real one and only verification can tell them apart.
		if forger, err = rsa.GenerateKey(rand.Reader, c.PlatformKey.N.BitLen()); err != nil {
			return nil, fmt.Errorf("golive: forging key: %w", err)
		}
	}
	if b.badSign, err = (notify.Signer{Key: forger}).Sign(fields, c.SignType); err != nil {
		return nil, fmt.Errorf("golive: sign with the forging key: %w", err)
	}

	// Keep the genuine sign and change the amount: what a forger who
	// intercepted a real notification of a small payment would send.
	amount, err := protocol.ParseAmount("money_order", fields["money_order"])
	if err != nil {
		return nil, fmt.Errorf("golive: money_order %q is not an amount", fields["money_order"])
	}
	b.amount = protocol.FormatAmount(amount * 100)
	changed := maps.Clone(b.fields)
	changed["money_order"] = b.amount
	if b.changed, err = (&protocol.Answer{Fields: changed}).MarshalJSON(); err != nil {
		return nil, err
	}
	return b, nil
}

// known are the personal-looking values sent, masked wherever a receiver's
// answer echoes them.
func (b *bodies) known() []string {
	var out []string
	for _, k := range protocol.PaymentNoticeExtra {
		if v := b.fields[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}
