package protocol

import (
	"net/url"
	"unicode"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
)

// Validators of the card-binding and payment request fields. Each returns nil
// or a 1004 *llgate.Error naming the field. The Detail is a fixed text: it
// never quotes the value, which may be a card or ID number (CONTRACT.md §10).
// A missing field is the caller's 1004 too; "" fails every validator.
//
// '&' and '=' are refused wherever free text allows them: the sign source
// k=v&... has no escaping, so they would re-split it into other fields.

// ValidateCardNo checks 12 to 19 ASCII digits. The Luhn check and the BIN are
// the issuer's (1100, 1102).
func ValidateCardNo(field, s string) error {
	if len(s) < 12 || len(s) > 19 || !allDigits(s) {
		return llgate.FieldError(field, "must be 12 to 19 digits")
	}
	return nil
}

// idTypes are the documented id_type values: 0 ID card, 2 passport, 3
// military officer, 4 Hong Kong-Macau permit, 6 Taiwan residents' permit, 9
// police officer, X other.
var idTypes = map[string]bool{"0": true, "2": true, "3": true, "4": true, "6": true, "9": true, "X": true}

// ValidateIDNo checks an identity document: the 1004 names id_type for an
// unknown type, else id_no. A PRC resident identity card (id_type 0) is 18
// characters, 17 digits and a GB 11643 check character (a digit, X or x) with
// a calendar birth date from 1900 to 2099, or the legacy 15 digits with a
// 19YYMMDD birth date. Other documents are 1 to 32 ASCII letters or digits.
// The region code is not checked.
func ValidateIDNo(idType, idNo string) error {
	if !idTypes[idType] {
		return llgate.FieldError("id_type", "must be one of 0, 2, 3, 4, 6, 9, X")
	}
	if idType != "0" {
		if len(idNo) < 1 || len(idNo) > 32 || !alnum(idNo) {
			return llgate.FieldError("id_no", "must be 1 to 32 letters or digits")
		}
		return nil
	}
	switch {
	case len(idNo) == 18 && allDigits(idNo[:17]):
		if !validDate(atoi(idNo[6:10]), atoi(idNo[10:12]), atoi(idNo[12:14])) {
			return llgate.FieldError("id_no", "ID card birth date is not a date from 1900 to 2099")
		}
		c := idNo[17]
		if c == 'x' {
			c = 'X'
		}
		if c != idCheckChar(idNo[:17]) {
			return llgate.FieldError("id_no", "ID card check character does not match")
		}
		return nil
	case len(idNo) == 15 && allDigits(idNo):
		if !validDate(1900+atoi(idNo[6:8]), atoi(idNo[8:10]), atoi(idNo[10:12])) {
			return llgate.FieldError("id_no", "ID card birth date is not a date")
		}
		return nil
	}
	return llgate.FieldError("id_no", "ID card number must be 17 digits and a check character, or 15 digits")
}

// idWeights are 2^(17-i) mod 11 (ISO 7064 MOD 11-2, GB 11643-1999).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChar returns the check character of 17 ASCII digits.
func idCheckChar(d string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(d[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// validDate reports whether y-m-d is a Gregorian calendar date in 1900..2099.
func validDate(y, m, d int) bool {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// atoi reads ASCII digits the caller has checked.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// ValidateMobile checks a mainland mobile number: 1, then 3 to 9, then 9
// digits (^1[3-9]\d{9}$).
func ValidateMobile(field, s string) error {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' || !allDigits(s) {
		return llgate.FieldError(field, "must be an 11-digit mobile number starting 13 to 19")
	}
	return nil
}

// ValidateName checks a person's name (acct_name): 1 to 64 characters of
// valid UTF-8, no control characters, no '&' or '=', not only spaces.
func ValidateName(field, s string) error {
	if !utf8.ValidString(s) {
		return llgate.FieldError(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n < 1 || n > 64 {
		return llgate.FieldError(field, "must be 1 to 64 characters")
	}
	blank := true
	for _, r := range s {
		if unicode.IsControl(r) || r == '&' || r == '=' {
			return llgate.FieldError(field, "must not contain control characters, '&' or '='")
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank {
		return llgate.FieldError(field, "must not be blank")
	}
	return nil
}

// ValidateUserID checks the merchant's user id: 1 to 32 printable ASCII
// characters, no space, '&' or '='.
func ValidateUserID(field, s string) error { return validateRef(field, s) }

// ValidateOrderNo checks a merchant reference (no_order, no_refund): 1 to 32
// printable ASCII characters, no space, '&' or '='.
func ValidateOrderNo(field, s string) error { return validateRef(field, s) }

func validateRef(field, s string) error {
	if len(s) < 1 || len(s) > 32 {
		return llgate.FieldError(field, "must be 1 to 32 characters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '&' || c == '=' {
			return llgate.FieldError(field, "must be printable ASCII without spaces, '&' or '='")
		}
	}
	return nil
}

// ValidateToken checks a token: 32 upper-case hex characters (NewToken).
func ValidateToken(field, s string) error {
	if len(s) != 32 {
		return llgate.FieldError(field, "must be 32 upper-case hex characters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return llgate.FieldError(field, "must be 32 upper-case hex characters")
		}
	}
	return nil
}

// ValidateNoAgree checks an agreement number: 16 digits (NewNoAgree).
func ValidateNoAgree(field, s string) error {
	if len(s) != 16 || !allDigits(s) {
		return llgate.FieldError(field, "must be 16 digits")
	}
	return nil
}

// ValidateCode checks an SMS verification code: 4 to 8 digits.
func ValidateCode(field, s string) error {
	if len(s) < 4 || len(s) > 8 || !allDigits(s) {
		return llgate.FieldError(field, "must be 4 to 8 digits")
	}
	return nil
}

// maxURL bounds notify_url and url_return.
const maxURL = 512

// ValidateURL checks a notification or return address: an absolute http or
// https URL with a host, at most 512 printable ASCII characters without
// spaces. Query strings with '&' and '=' are allowed (merchants use them);
// whether the host may be called is the notifier's rule.
func ValidateURL(field, s string) error {
	if len(s) < 1 || len(s) > maxURL {
		return llgate.FieldError(field, "must be a URL of at most 512 characters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return llgate.FieldError(field, "must be printable ASCII without spaces")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return llgate.FieldError(field, "is not a URL") // err quotes the value
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" {
		return llgate.FieldError(field, "must be an http or https URL")
	}
	if u.Hostname() == "" {
		return llgate.FieldError(field, "must name a host")
	}
	return nil
}
