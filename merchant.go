package llgate

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Amount is money in fen (1/100 yuan). Parsing and formatting of the wire
// form ("55.44") happens only in package protocol.
type Amount int64

// Sign types a merchant may be allowed to use.
const (
	SignRSA    = "RSA"           // MD5withRSA
	SignSHA256 = "SHA256withRSA" // SHA-256 with RSA, PKCS#1 v1.5
	SignMD5    = "MD5"           // legacy keyed hash, only with an md5_key
)

// Limits caps what one natural person may pay a merchant. Zero means no cap.
type Limits struct {
	PerTxn   Amount
	PerDay   Amount
	PerMonth Amount
}

// Merchant is a merchant account as the admin API manages it.
type Merchant struct {
	OidPartner        string
	Name              string
	PublicKeys        []string // PEM or bare base64 DER, as the operator gave them
	SignTypes         []string
	IPAllowlist       []string // addresses or CIDR prefixes; empty = any
	Live              bool
	Platform          string
	Limits            Limits
	Velocity          Velocity // 0 = the server's default
	NotifyExtraFields bool
	// NotifyContentType is the Content-Type notifications are sent with
	// ("" = NotifyJSONText).
	NotifyContentType string
	// Products are the product lines the merchant may use, by canonical
	// name (Product*); empty = all of them.
	Products []string
	// EasypayNoSMS makes the easypay direct apply pay at once, without an
	// SMS code.
	EasypayNoSMS bool
	// SettleDays is how many days after its settle_date a payment moves
	// from amt_unsettle to amt_balance, at 00:00 China time (0 = at once;
	// the admin API's default is DefaultSettleDays).
	SettleDays int
	// PayoutLimits caps a live merchant's payouts: each, per China day and
	// per month (zero = no cap; not-live merchants: NotLivePayoutLimit).
	PayoutLimits Limits
	SMSCode      string // sandbox only: fixed SMS code
	MD5Key       []byte // sealed by the vault at rest; plaintext only in memory
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ValidOidPartner reports whether s is an 18-digit merchant number.
func ValidOidPartner(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate checks the fields that need no cryptography; the caller checks the
// public keys (package protocol parses them).
func (m *Merchant) Validate() error {
	if !ValidOidPartner(m.OidPartner) {
		return fmt.Errorf("oid_partner must be 18 digits")
	}
	if len(m.PublicKeys) == 0 {
		return fmt.Errorf("public_keys: at least one key is required")
	}
	if len(m.SignTypes) == 0 {
		return fmt.Errorf("sign_types: at least one sign type is required")
	}
	for _, t := range m.SignTypes {
		switch t {
		case SignRSA, SignSHA256:
		case SignMD5:
			if len(m.MD5Key) == 0 {
				return fmt.Errorf("sign_types: MD5 needs md5_key")
			}
		default:
			return fmt.Errorf("sign_types: unknown sign type %q", t)
		}
	}
	for _, a := range m.IPAllowlist {
		if _, err := ParseAllowEntry(a); err != nil {
			return fmt.Errorf("ip_allowlist: %v", err)
		}
	}
	if m.Platform != "" && (len(m.Platform) > 64 || strings.ContainsAny(m.Platform, "&= ")) {
		return fmt.Errorf("platform: at most 64 characters, no '&', '=' or spaces")
	}
	if _, err := CanonicalProducts(m.Products); err != nil {
		return err
	}
	switch m.NotifyContentType {
	case "", NotifyJSONText, NotifyJSONApplication:
	default:
		return fmt.Errorf("notify_content_type: %q or %q", NotifyJSONText, NotifyJSONApplication)
	}
	if m.SettleDays < 0 || m.SettleDays > MaxSettleDays {
		return fmt.Errorf("settle_days: a whole number from 0 to %d", MaxSettleDays)
	}
	if m.SMSCode != "" && !isDigits(m.SMSCode, 6) {
		return fmt.Errorf("sms_code must be 6 digits")
	}
	if m.PayoutLimits.PerTxn < 0 || m.PayoutLimits.PerDay < 0 || m.PayoutLimits.PerMonth < 0 {
		return fmt.Errorf("payout_limits must not be negative")
	}
	if m.Limits.PerTxn < 0 || m.Limits.PerDay < 0 || m.Limits.PerMonth < 0 {
		return fmt.Errorf("limits must not be negative")
	}
	if !inRange(m.Velocity.PhonesPerHour) || !inRange(m.Velocity.CardsPerHour) {
		return fmt.Errorf("velocity: each cap is a whole number from 0 (the default) to %d", MaxVelocity)
	}
	return nil
}

// AllowsSignType reports whether the merchant may sign with t.
func (m *Merchant) AllowsSignType(t string) bool {
	for _, s := range m.SignTypes {
		if s == t {
			return t != SignMD5 || len(m.MD5Key) > 0
		}
	}
	return false
}

// AllowsAddr reports whether a request from addr passes the allowlist.
func (m *Merchant) AllowsAddr(addr netip.Addr) bool {
	if len(m.IPAllowlist) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, a := range m.IPAllowlist {
		p, err := ParseAllowEntry(a)
		if err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseAllowEntry parses an allowlist entry: an address or a CIDR prefix.
func ParseAllowEntry(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func inRange(n int) bool { return n >= 0 && n <= MaxVelocity }

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
