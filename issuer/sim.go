package issuer

import (
	"context"
	"errors"
	"time"

	llgate "github.com/llgate/llgate"
)

// Simulated is the sandbox's issuing bank: the BIN table, the test-card
// outcomes (when Outcomes is on: sandbox mode) and a cardholder registry in
// which the first successful bind of a card records who holds it. The
// registry keeps fingerprints only.
type Simulated struct {
	Store    llgate.Store
	Vault    llgate.Vault
	Clock    llgate.Clock
	Outcomes bool
}

var _ llgate.Issuer = (*Simulated)(nil)

// Card identifies a card from the BIN table.
func (s *Simulated) Card(cardNo string) (llgate.CardInfo, error) {
	c, err := Lookup(cardNo)
	if errors.Is(err, ErrNoBIN) {
		return llgate.CardInfo{}, llgate.ErrUnknownBIN
	}
	if err != nil {
		return llgate.CardInfo{}, err
	}
	return llgate.CardInfo{
		BankCode: c.BankCode, BankName: c.BankName, CardType: string(c.Type), Prepaid: c.Type == Prepaid,
	}, nil
}

// BankName names a bank code.
func (s *Simulated) BankName(code string) string {
	b, _ := BankByCode(code)
	return b.Name
}

// CheckHolder applies the test-card outcome of the card number, then
// compares the holder with the registry: another ID number answers 1109,
// another name 1113, another phone 1114, more than one of them 1108.
func (s *Simulated) CheckHolder(ctx context.Context, h llgate.Card) (llgate.HolderResult, error) {
	var res llgate.HolderResult
	if s.Outcomes {
		switch code := BindOutcome(h.CardNo); code {
		case "":
		case OutcomeSMSFails:
			res.SMSFails = true
		default:
			return res, llgate.Errorf(code, "test card outcome %s", code)
		}
	}
	var known *llgate.Cardholder
	err := s.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		known, err = tx.Cardholder(ctx, s.Vault.Fingerprint("card", h.CardNo))
		return err
	})
	if errors.Is(err, llgate.ErrNotFound) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	var wrong []string
	if known.PersonFP != s.Vault.Fingerprint("person", h.IDType+"\x00"+h.IDNo) {
		wrong = append(wrong, "1109")
	}
	if known.NameFP != s.Vault.Fingerprint("name", h.AcctName) {
		wrong = append(wrong, "1113")
	}
	if known.MobileFP != s.Vault.Fingerprint("mobile", h.Mobile) {
		wrong = append(wrong, "1114")
	}
	switch len(wrong) {
	case 0:
		return res, nil
	case 1:
		return res, llgate.Errorf(wrong[0], "cardholder details differ from the issuer's")
	default:
		return res, llgate.Errorf("1108", "cardholder details differ from the issuer's")
	}
}

// HolderBound records the holder of a card at its first successful bind.
func (s *Simulated) HolderBound(ctx context.Context, h llgate.Card) error {
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock.Now()
	}
	return s.Store.Update(ctx, func(tx llgate.Tx) error {
		_, err := tx.InsertCardholder(ctx, &llgate.Cardholder{
			CardFP:    s.Vault.Fingerprint("card", h.CardNo),
			PersonFP:  s.Vault.Fingerprint("person", h.IDType+"\x00"+h.IDNo),
			NameFP:    s.Vault.Fingerprint("name", h.AcctName),
			MobileFP:  s.Vault.Fingerprint("mobile", h.Mobile),
			CreatedAt: now,
		})
		return err
	})
}

// ProcessingDelay is how long the 2008 test card stays PROCESSING after the
// customer's verify, by the sandbox clock.
const ProcessingDelay = 5 * time.Minute

// Charge takes a payment. With test-card outcomes on, the pay-verify digits
// decline (6001, 1005, 1111, 9094, 9990, 9991) or keep it processing (2008)
// until ProcessingDelay after the verify.
func (s *Simulated) Charge(ctx context.Context, c llgate.Charge) (string, error) {
	if !s.Outcomes {
		return llgate.ChargeSuccess, nil
	}
	switch code := PayOutcome(c.CardNo); code {
	case "":
		return llgate.ChargeSuccess, nil
	case OutcomeProcessing:
		if s.Clock.Now().Before(c.VerifiedAt.Add(ProcessingDelay)) {
			return llgate.ChargeProcessing, nil
		}
		return llgate.ChargeSuccess, nil
	default:
		return "", llgate.Errorf(code, "test card outcome %s", code)
	}
}

var _ llgate.LocalCharger = (*Simulated)(nil)

// ChargeIsLocal is true: Charge reads the card number, the outcome switch
// and the clock, and keeps and writes nothing, so asking it before pay
// verify commits is safe (and asking again gives the same answer, which
// Settle relies on). The 2008 card is no exception: "processing" is decided
// from VerifiedAt and the clock alone.
func (s *Simulated) ChargeIsLocal() bool { return true }

// Refund returns money. With test-card outcomes on, the refund digits 9920
// make it fail.
func (s *Simulated) Refund(ctx context.Context, c llgate.Charge) error {
	if code := RefundOutcome(c.CardNo); s.Outcomes && code != "" {
		return llgate.Errorf(code, "test card outcome %s", code)
	}
	return nil
}

var _ llgate.Preauthorizer = (*Simulated)(nil)

// Capture takes an authorised amount. With test-card outcomes on, 2008
// keeps it processing (the capture completes 5 minutes later by the clock)
// and 8104 declines it.
func (s *Simulated) Capture(ctx context.Context, c llgate.Charge) (string, error) {
	return s.preauthOutcome(c, OutcomeCaptureFails)
}

// Release cancels an authorisation. With test-card outcomes on, 2008 keeps
// it processing and 5005 refuses it.
func (s *Simulated) Release(ctx context.Context, c llgate.Charge) (string, error) {
	return s.preauthOutcome(c, OutcomeCancelFails)
}

func (s *Simulated) preauthOutcome(c llgate.Charge, fails string) (string, error) {
	if !s.Outcomes {
		return llgate.ChargeSuccess, nil
	}
	switch Outcome(c.CardNo) {
	case OutcomeProcessing:
		return llgate.ChargeProcessing, nil
	case fails:
		return "", llgate.Errorf(fails, "test card outcome %s", fails)
	}
	return llgate.ChargeSuccess, nil
}
