package issuer

import (
	"errors"
	"strconv"
)

// Luhn reports whether digits, a string of ASCII digits, ends in a valid Luhn
// check digit. It is false for an empty string or any non-digit.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		sum += luhnValue(int(c-'0'), i%2 == 1)
	}
	return sum%10 == 0
}

// luhnValue is a digit's contribution; every second digit from the right,
// check digit excluded, is doubled and its digits summed.
func luhnValue(d int, doubled bool) int {
	if !doubled {
		return d
	}
	d *= 2
	if d > 9 {
		d -= 9
	}
	return d
}

// checkDigit returns the Luhn check digit to append to body.
func checkDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		// With the check digit appended, body's last digit is second from
		// the right: doubled.
		sum += luhnValue(int(body[len(body)-1-i]-'0'), i%2 == 0)
	}
	return byte('0' + (10-sum%10)%10)
}

// TestCard returns a Luhn-valid card number of the given length: bin, then
// filler digits, then the 4 outcome digits, then the check digit. The filler
// is seed in decimal, zero-padded on the left to fill the room (its lowest
// digits if it does not fit), so seeds that differ below 10^room make
// distinct cards. For example TestCard("622202", 19, 12345678, "0000") is
// 6222021234567800002, an ICBC debit card that succeeds everywhere.
//
// The result matches bin's row only if no longer BIN in the table begins with
// bin and the filler; Lookup tells.
func TestCard(bin string, length int, seed uint64, outcome string) (string, error) {
	if bin == "" || !digits(bin) {
		return "", errors.New("issuer: TestCard: bin must be digits")
	}
	if len(outcome) != 4 || !digits(outcome) {
		return "", errors.New("issuer: TestCard: outcome must be 4 digits")
	}
	if length < minCard || length > maxCard {
		return "", errors.New("issuer: TestCard: length must be 12 to 19")
	}
	room := length - len(bin) - len(outcome) - 1
	if room < 0 {
		return "", errors.New("issuer: TestCard: bin too long for the length")
	}
	b := make([]byte, 0, length)
	b = append(b, bin...)
	s := strconv.FormatUint(seed, 10)
	if len(s) > room {
		s = s[len(s)-room:]
	}
	for range room - len(s) {
		b = append(b, '0')
	}
	b = append(b, s...)
	b = append(b, outcome...)
	b = append(b, checkDigit(string(b)))
	return string(b), nil
}
