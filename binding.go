package llgate

import "time"

// Scope says whose users and agreements these are: one merchant's, or a
// platform's shared by the merchants configured into it.
func Scope(m *Merchant, platform string) string {
	if platform != "" {
		return "p:" + platform
	}
	return "m:" + m.OidPartner
}

// Agreement states.
const (
	AgreementActive  = "active"
	AgreementUnbound = "unbound"
)

// Pay-type families: what a bind's pay_type asked for. MPAY 2/3/P and the
// trader API's M/N/D name the same three.
const (
	FamilyDebit  = "2" // 2, M
	FamilyCredit = "3" // 3, N
	FamilyAuth   = "P" // P, D
	FamilyEasy   = "F" // F: easypay authorization (no bind here makes one)
)

// Agreement is a bound card: what no_agree stands for. Card elements are
// sealed (owner: the scope's owner, table agreements, row no_agree); lookups
// use fingerprints.
type Agreement struct {
	NoAgree    string
	Scope      string
	OidPartner string // the merchant that bound it
	UserID     string
	PersonFP   string // fingerprint of the natural person (id_type, id_no)
	CardFP     string
	CardLast4  string
	BankCode   string
	CardType   string // "2" debit, "3" credit
	Family     string // Family* of the bind's pay_type
	MobileMask string
	Sealed     []byte // CardSecret
	Status     string
	CreatedAt  time.Time
	UnboundAt  time.Time
}

// CardSecret is what an agreement or a bind challenge holds under its seal:
// the card and its holder, and what the bind application carried besides.
// CVV2 is never part of it: it is checked at apply and forgotten.
type CardSecret struct {
	Card
	RiskItem  string `json:"risk_item,omitempty"`
	NoOrder   string `json:"no_order,omitempty"`
	DtOrder   string `json:"dt_order,omitempty"`
	NotifyURL string `json:"notify_url,omitempty"`
}

// User ties a user_id, within a scope, to one natural person until all of
// that person's agreements under it are unbound.
type User struct {
	Scope      string
	UserID     string
	OidPartner string // the merchant that first used it
	PersonFP   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Challenge kinds and states.
const (
	ChallengeBind = "bind"
	ChallengePay  = "pay"

	ChallengeLive = "live"
	ChallengeDead = "dead" // too many wrong codes
	ChallengeUsed = "used"
)

// Challenge is a token with its one-time SMS code: a bind application or a
// payment awaiting verification. The code itself is never stored, only a
// keyed hash bound to token, phone, user and merchant.
type Challenge struct {
	Token      string
	Kind       string
	OidPartner string
	Scope      string
	UserID     string
	Ref        string // bind: card fingerprint; pay: no_order
	MobileFP   string
	CodeHash   string
	CodeSentAt time.Time
	WrongCount int
	State      string
	ExpiresAt  time.Time
	Sealed     []byte // bind: CardSecret; pay: nil
	// Bind applications also carry what the agreement will need.
	PersonFP   string
	CardLast4  string
	BankCode   string
	CardType   string
	Family     string
	MobileMask string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Cardholder is the simulated issuer's record of who holds a card: the
// first successful bind sets it. Fingerprints only.
type Cardholder struct {
	CardFP    string
	PersonFP  string
	NameFP    string
	MobileFP  string
	CreatedAt time.Time
}

// SMS cap keys.
const (
	CapMobile = "mobile"
	CapCard   = "card"
	CapUser   = "user"
)

// SMSSend records one text sent, for the send caps.
type SMSSend struct {
	OidPartner string
	Kind       string // Cap*
	Key        string // a fingerprint (mobile, card) or scope|user_id
	At         time.Time
}

// AgreementFilter selects agreements; empty fields match anything.
type AgreementFilter struct {
	Scope      string // required
	UserID     string
	NoAgree    string
	CardFP     string
	Family     string
	ActiveOnly bool
	Offset     int // rows to skip
	Limit      int // 0 = no limit
}
