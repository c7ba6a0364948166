package llgate

import (
	"context"
	"errors"
	"time"
)

// ErrUnknownBIN means no issuer has the card's BIN: 1102 at bind and pay,
// 5001 at the card-BIN query.
var ErrUnknownBIN = errors.New("no such issuer")

// CardInfo is what the issuer says about a card number.
type CardInfo struct {
	BankCode string
	BankName string
	CardType string // "2" debit, "3" credit
	Prepaid  bool   // answered 9912 everywhere
}

// HolderResult is the issuer's answer to a holder check that passed.
type HolderResult struct {
	// SMSFails makes the SMS provider fail for this application (the
	// sandbox's 9704 test card).
	SMSFails bool
}

// Issuer is the card issuer seam: the simulated issuing bank (package
// issuer) or a real channel.
type Issuer interface {
	// Card identifies a card: an *Error 1100 when the number is invalid,
	// ErrUnknownBIN when no issuer has it.
	Card(cardNo string) (CardInfo, error)
	// BankName names a bank code ("" if unknown).
	BankName(bankCode string) string
	// CheckHolder runs the issuer's checks of a bind apply: nil to go on,
	// or an *Error carrying the issuer's code (1101, 1109, ...).
	CheckHolder(ctx context.Context, c Card) (HolderResult, error)
	// HolderBound tells the issuer a bind succeeded.
	HolderBound(ctx context.Context, c Card) error
	Charger
}

// Charge asks the issuer to take a payment.
type Charge struct {
	OidPaybill string
	CardNo     string
	Amount     Amount
	VerifiedAt time.Time // when the customer confirmed the payment
}

// Charge results that are not declines.
const (
	ChargeSuccess    = "success"
	ChargeProcessing = "processing" // ask again later (the 2008 test card)
)

// Charger is the payment part of the Issuer seam: Charge returns
// ChargeSuccess or ChargeProcessing, or an *Error carrying the issuer's
// decline (6001, 1005, ...). Asking again about the same OidPaybill must be
// safe: it is how a crashed verify is recovered.
type Charger interface {
	Charge(ctx context.Context, c Charge) (string, error)
	// Refund returns money to the card: nil, or an *Error carrying the
	// issuer's refusal (9920). Asking again about the same refund must be
	// safe.
	Refund(ctx context.Context, c Charge) error
}

// LocalCharger is implemented by a Charger whose Charge has no effect
// outside this process (the simulated issuer: its answer is a function of
// the card, the amount and the clock). Pay verify may then ask it before
// committing anything and write the token, the order and its result in one
// transaction: an answer lost to a crash or a refused re-check was never
// acted on. A real channel does not implement it (or answers false) and
// keeps the two-phase verify, whose first commit makes a crash between
// asking the issuer and recording its answer recoverable by Settle.
type LocalCharger interface {
	ChargeIsLocal() bool
}

// Preauthorizer is an issuer that captures and releases authorisations
// (Easy Payment pay_type F): ChargeSuccess, ChargeProcessing (it completes
// PreauthDelay later), or an *Error carrying the issuer's refusal (8104 for
// a capture, 5005 for a cancel). An issuer without it completes both at
// once.
type Preauthorizer interface {
	Capture(ctx context.Context, c Charge) (string, error)
	Release(ctx context.Context, c Charge) (string, error)
}
