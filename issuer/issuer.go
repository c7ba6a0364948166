// Package issuer is the simulated issuing bank's knowledge of cards: the
// China UnionPay BIN table (embedded from cardbin/), the banks' 8-digit
// bank_code, the Luhn check, and the sandbox's test-card outcomes chosen by
// the four digits before the check digit (CONTRACT.md §4). It stores nothing.
package issuer

import (
	"errors"

	llgate "github.com/llgate/llgate"
)

// CardType is the card's kind; Debit and Credit are the wire card_type.
type CardType string

const (
	Debit   CardType = "2"
	Credit  CardType = "3"
	Prepaid CardType = "prepaid" // callers answer 9912 everywhere
)

// Card is what the BIN table says about a card number.
type Card struct {
	BankAbbr string // abbreviation in cardbin/name.csv, e.g. "ICBC"
	BankCode string // 8 digits, e.g. "01020000"
	BankName string // Chinese name, e.g. "中国工商银行"
	Type     CardType
	BIN      string // the prefix that matched
}

// ErrNoBIN means no BIN row matches the card number: callers answer 1102 at
// bind and pay, 5001 at the card-BIN query.
var ErrNoBIN = errors.New("issuer: no such issuer (BIN)")

// CodeBadCard is the return code of a card number that is not 12 to 19 digits
// or fails the Luhn check.
const CodeBadCard = "1100"

// Lookup identifies a card number. It returns an *llgate.Error 1100 if the
// number is not 12 to 19 ASCII digits or fails the Luhn check, and ErrNoBIN if
// no BIN matches: the longest prefix in bin.csv whose length column equals the
// number's length, the first row on a tie. A prepaid card is found (Type
// Prepaid), not refused: the caller decides to answer 9912.
func Lookup(cardNo string) (Card, error) {
	if len(cardNo) < 12 || len(cardNo) > 19 || !digits(cardNo) {
		// Never the number itself: Detail reaches logs.
		return Card{}, &llgate.Error{Code: CodeBadCard, Field: "card_no", Detail: "card number must be 12 to 19 digits"}
	}
	if !Luhn(cardNo) {
		return Card{}, &llgate.Error{Code: CodeBadCard, Field: "card_no", Detail: "card number fails the Luhn check"}
	}
	return cards().lookup(cardNo)
}

// BankByCode returns the bank with the given 8-digit bank_code.
func BankByCode(code string) (Bank, bool) {
	t := cards()
	i, ok := t.byCode[code]
	if !ok {
		return Bank{}, false
	}
	return t.banks[i], true
}

// Banks returns every bank of cardbin/name.csv, in bank_code order.
func Banks() []Bank {
	t := cards()
	out := make([]Bank, len(t.banks))
	for i, j := range t.codeOrder {
		out[i] = t.banks[j]
	}
	return out
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
