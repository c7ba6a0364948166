// Package notify delivers asynchronous notifications: it signs their bodies
// once, and a worker takes due ones from the store's durable outbox, POSTs
// them to the merchant's notify_url, records every attempt and reschedules
// until the merchant acknowledges or the attempts run out (CONTRACT.md §7).
// It also has a receiver for `llgate notify listen`.
package notify

import (
	"crypto/rsa"
	"errors"
	"maps"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// ContentType is what notifications are sent as (COMPAT.md: the C# receiver
// accepts only text/json).
const ContentType = "text/json;charset=utf-8"

// Signer builds notification bodies signed with the platform key.
type Signer struct {
	Key *rsa.PrivateKey
}

// Sign returns the notification body for fields: one JSON object, keys
// sorted, empty fields left out, no HTML escaping, sign_type set to signType
// and sign over every other field. signType is RSA or SHA256withRSA; anything
// else (empty, or MD5, for which the platform holds no merchant key) signs
// as RSA. The body is stored and sent byte for byte as returned.
func (s Signer) Sign(fields map[string]string, signType string) ([]byte, error) {
	if s.Key == nil {
		return nil, errors.New("notify: no platform key")
	}
	switch signType {
	case llgate.SignRSA, llgate.SignSHA256:
	default:
		signType = llgate.SignRSA
	}
	a := protocol.Answer{Fields: maps.Clone(fields)}
	if err := a.Sign(s.Key, signType); err != nil {
		return nil, err
	}
	return a.MarshalJSON()
}

// SignPayment signs a payment notification: the endpoint table's fields
// (protocol.PaymentNoticeOf).
func (s Signer) SignPayment(n *llgate.PaymentNotice, signType string) ([]byte, error) {
	return s.Sign(protocol.PaymentNoticeOf(n), signType)
}

// SignRefund signs a refund notification (protocol.RefundFieldsOf).
func (s Signer) SignRefund(f *llgate.Refund, o *llgate.Order, signType string) ([]byte, error) {
	return s.Sign(protocol.RefundFieldsOf(f, o), signType)
}
