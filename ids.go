package llgate

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// IDs are drawn from crypto/rand in Go, never by the database: they must not
// be guessable (a no_agree or token names someone's card) and PostgreSQL has
// no LastInsertId. Uniqueness is the store's job (a unique key and a retry).

// NewNoAgree returns a 16-digit agreement number, first digit 1-9.
func NewNoAgree() string { return randomDigits(16, false) }

// NewOidPaybill returns a 16-digit LianLian payment number, first digit 1-9.
func NewOidPaybill() string { return randomDigits(16, false) }

// NewToken returns 32 upper-case hex characters (128 random bits).
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (Go 1.24+ crashes the program instead)
	return strings.ToUpper(hex.EncodeToString(b))
}

// NewSMSCode returns a 6-digit one-time code; leading zeros allowed.
func NewSMSCode() string { return randomDigits(6, true) }

// NewID returns 16 random hex characters for internal rows.
func NewID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int, leadingZero bool) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf)
		for _, c := range buf {
			// Rejection sampling keeps digits uniform (250 = 25*10).
			if c >= 250 || len(out) == n || !leadingZero && len(out) == 0 && c%10 == 0 {
				continue
			}
			out = append(out, '0'+c%10)
		}
	}
	return string(out)
}
