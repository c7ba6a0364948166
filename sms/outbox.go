package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/llgate/llgate"
)

// Outbox is the sandbox sender: it keeps each text in the store, sealed by
// the vault and found by the phone's fingerprint, for GET /admin/sms to show.
// Nothing of the message is stored in plaintext.
type Outbox struct {
	Store llgate.Store
	Vault llgate.Vault
	Clock llgate.Clock
}

var _ llgate.SMSRecorder = Outbox{}

// Send seals the phone, code and text for m.OidPartner and inserts the
// message in a transaction of its own. Its errors never contain the message.
func (o Outbox) Send(ctx context.Context, m llgate.SMS) error {
	msg, err := o.message(ctx, m, o.Vault.Seal)
	if err != nil {
		return err
	}
	return o.Store.Update(ctx, func(tx llgate.Tx) error {
		if err := tx.InsertSMS(ctx, msg); err != nil {
			return fmt.Errorf("sms: store: %w", err)
		}
		return nil
	})
}

// Record keeps the message inside the caller's transaction, which commits
// the code it carries: sealed (SealIn: the merchant's data key exists since
// the merchant does) and inserted. Its errors never contain the message.
func (o Outbox) Record(ctx context.Context, tx llgate.Tx, m llgate.SMS) error {
	msg, err := o.message(ctx, m, o.Vault.SealIn)
	if err != nil {
		return err
	}
	if err := tx.InsertSMS(ctx, msg); err != nil {
		return fmt.Errorf("sms: store: %w", err)
	}
	return nil
}

// message builds the stored form of m, sealed with seal.
func (o Outbox) message(ctx context.Context, m llgate.SMS, seal func(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error)) (*llgate.SMSMessage, error) {
	if o.Store == nil || o.Vault == nil || o.Clock == nil {
		return nil, errors.New("sms: Outbox needs a Store, a Vault and a Clock")
	}
	if m.Mobile == "" {
		return nil, errors.New("sms: no mobile")
	}
	plain, err := json.Marshal(llgate.SMSContent{Mobile: m.Mobile, Code: m.Code, Text: m.Text})
	if err != nil {
		return nil, fmt.Errorf("sms: encode: %w", err)
	}
	id := newID()
	sealed, err := seal(ctx, m.OidPartner, llgate.TableSMS, id, plain)
	if err != nil {
		return nil, fmt.Errorf("sms: seal: %w", err)
	}
	return &llgate.SMSMessage{
		ID: id, OidPartner: m.OidPartner, MobileFP: o.Vault.Fingerprint("mobile", m.Mobile),
		Sealed: sealed, SentAt: o.Clock.Now().UTC(),
	}, nil
}

// newID returns 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
