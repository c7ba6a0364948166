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
// else signs as RSA (SignPayment and SignRefund sign MD5 with the merchant's
// key). The body is stored and sent byte for byte as returned.
func (s Signer) Sign(fields map[string]string, signType string) ([]byte, error) {
	return s.sign(fields, signType, "")
}

// sign is Sign, except that signType MD5 with an md5Key signs with the
// merchant's keyed hash (sign_type MD5), as LianLian signs an MD5
// merchant's notifications.
func (s Signer) sign(fields map[string]string, signType, md5Key string) ([]byte, error) {
	a := protocol.Answer{Fields: maps.Clone(fields)}
	if signType == llgate.SignMD5 && md5Key != "" {
		a.SignMD5(md5Key)
		return a.MarshalJSON()
	}
	if s.Key == nil {
		return nil, errors.New("notify: no platform key")
	}
	switch signType {
	case llgate.SignRSA, llgate.SignSHA256:
	default:
		signType = llgate.SignRSA
	}
	if err := a.Sign(s.Key, signType); err != nil {
		return nil, err
	}
	return a.MarshalJSON()
}

// SignPayment signs a payment notification: the endpoint table's fields
// (protocol.PaymentNoticeOf).
func (s Signer) SignPayment(n *llgate.PaymentNotice, signType, md5Key string) ([]byte, error) {
	return s.sign(protocol.PaymentNoticeOf(n), signType, md5Key)
}

// SignRefund signs a refund notification (protocol.RefundFieldsOf).
func (s Signer) SignRefund(f *llgate.Refund, o *llgate.Order, signType, md5Key string) ([]byte, error) {
	return s.sign(protocol.RefundFieldsOf(f, o), signType, md5Key)
}
