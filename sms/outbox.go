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

var _ llgate.SMSStager = Outbox{}

// Send seals the phone, code and text for m.OidPartner and inserts the
// message in a transaction of its own. Its errors never contain the message.
func (o Outbox) Send(ctx context.Context, m llgate.SMS) error {
	write, err := o.Stage(ctx, m)
	if err != nil {
		return err
	}
	return o.Store.Update(ctx, func(tx llgate.Tx) error { return write(ctx, tx) })
}

// Stage seals the message now and returns its insert, for the caller to run
// inside the transaction that commits the code (the sealing cannot run
// there: the vault may write a data key with an Update of its own, and
// SQLite has a single writer). Its errors never contain the message.
func (o Outbox) Stage(ctx context.Context, m llgate.SMS) (func(context.Context, llgate.Tx) error, error) {
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
	sealed, err := o.Vault.Seal(ctx, m.OidPartner, llgate.TableSMS, id, plain)
	if err != nil {
		return nil, fmt.Errorf("sms: seal: %w", err)
	}
	msg := &llgate.SMSMessage{
		ID:         id,
		OidPartner: m.OidPartner,
		MobileFP:   o.Vault.Fingerprint("mobile", m.Mobile),
		Sealed:     sealed,
		SentAt:     o.Clock.Now().UTC(),
	}
	return func(ctx context.Context, tx llgate.Tx) error {
		if err := tx.InsertSMS(ctx, msg); err != nil {
			return fmt.Errorf("sms: store: %w", err)
		}
		return nil
	}, nil
}

// newID returns 16 random hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
