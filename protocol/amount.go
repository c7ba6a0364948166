package protocol

import (
	"strconv"

	llgate "github.com/llgate/llgate"
)

// MaxAmount is the largest amount accepted on the wire, 100,000,000.00 yuan.
const MaxAmount llgate.Amount = 100_000_000_00

// ParseAmount parses a wire amount ("12", "12.3", "12.34") into fen. It is
// deliberately narrow: plain ASCII digits, at most two decimals, no sign,
// exponent, spaces or leading zeros ("0.5" is fine), more than zero and at
// most MaxAmount. Anything a float parser would "helpfully" accept is a
// chance for merchant and gateway to disagree on the amount that was signed.
// Errors are a 1004 naming field.
func ParseAmount(field, s string) (llgate.Amount, error) {
	bad := func(why string) (llgate.Amount, error) {
		return 0, llgate.FieldError(field, "amount "+why)
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			if frac == "" {
				return bad("ends with '.'")
			}
			break
		}
	}
	switch {
	case intPart == "":
		return bad("has no integer part")
	case len(intPart) > 1 && intPart[0] == '0':
		return bad("has a leading zero")
	case len(intPart) > 9:
		return bad("is too large")
	case len(frac) > 2:
		return bad("has more than 2 decimals")
	case !allDigits(intPart) || !allDigits(frac):
		return bad("is not a plain decimal number")
	}
	yuan, _ := strconv.ParseInt(intPart, 10, 64) // at most 9 digits: cannot fail
	fen := int64(0)
	for i := 0; i < 2; i++ {
		fen *= 10
		if i < len(frac) {
			fen += int64(frac[i] - '0')
		}
	}
	a := llgate.Amount(yuan*100 + fen)
	switch {
	case a <= 0:
		return bad("must be more than 0")
	case a > MaxAmount:
		return bad("is over 100000000.00")
	}
	return a, nil
}

// FormatAmount writes fen with exactly two decimals, the form of every amount
// llgate computes ("12.30").
func FormatAmount(a llgate.Amount) string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign = "-"
		n = -n // MinInt64 fen is not money; it would format wrongly, harmlessly
	}
	frac := n % 100
	s := sign + strconv.FormatInt(n/100, 10) + "."
	if frac < 10 {
		s += "0"
	}
	return s + strconv.FormatInt(frac, 10)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
