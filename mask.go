package llgate

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The one masking policy (CONTRACT.md §10): every text llgate keeps or logs
// that may quote personal data goes through MaskText, or through Redact when
// it came from outside (a merchant's answer to a notification, an SMS
// provider's answer). Logs get it by default (MaskingHandler); answers on the
// wire use MaskCard and MaskPhone. Nothing else masks.

// MaskCard keeps the first 6 and last 4 characters of a card number
// ("622208*********0000"). A string under 15 characters keeps only its last 4,
// and one of 4 or fewer is what answers carry already (the last 4) and stays:
// never more than 10 characters shown, and of a longer number always at
// least 5 hidden.
func MaskCard(s string) string {
	r := []rune(s)
	switch n := len(r); {
	case n <= 4:
		return s
	case n < 15:
		return stars(n-4) + string(r[n-4:])
	default:
		return string(r[:6]) + stars(n-10) + string(r[n-4:])
	}
}

// MaskPhone keeps the first 3 and last 4 characters of a phone number of 11
// characters or more ("138****8000"); anything shorter is all stars.
func MaskPhone(s string) string {
	r := []rune(s)
	n := len(r)
	if n < 11 {
		return stars(n)
	}
	return string(r[:3]) + stars(n-7) + string(r[n-4:])
}

// MaskID keeps the first and last character of an ID number
// ("1****************9"); under 6 characters it is all stars.
func MaskID(s string) string {
	r := []rune(s)
	n := len(r)
	if n < 6 {
		return stars(n)
	}
	return string(r[:1]) + stars(n-2) + string(r[n-1:])
}

// MaskName keeps the first character of a name and replaces every other one
// with a star ("张*"). A one-character name is a star.
func MaskName(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return stars(n)
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + stars(n-1)
}

// maskDigits masks a free-standing run of digits: all but the last 4.
func maskDigits(s string) string {
	return stars(len(s)-4) + s[len(s)-4:]
}

// maskBlob hides a structured value (pay_load, risk_item, info_order) whole,
// keeping only its size, which is what a sign-source comparison needs.
func maskBlob(s string) string {
	if s == "" {
		return ""
	}
	return "***(" + strconv.Itoa(len(s)) + " bytes)"
}

func maskAll(s string) string { return stars(utf8.RuneCountInString(s)) }

func stars(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("*", n)
}

// sensitiveKeys maps each sensitive field to its masker. user_info_* (risk
// item fields) are matched by prefix.
var sensitiveKeys = map[string]func(string) string{
	"card_no":     MaskCard,
	"id_no":       MaskID,
	"acct_name":   MaskName,
	"bind_mob":    MaskPhone,
	"bind_mobile": MaskPhone,
	"mobile":      MaskPhone,
	"cvv2":        maskAll,
	"vali_date":   maskAll,
	"verify_code": maskAll,
	"pay_load":    maskBlob,
	"risk_item":   maskBlob,
	"info_order":  maskBlob,
	// Payouts (CONTRACT-easypay-payouts §4.16): the bank statement's memo
	// is the merchant's free text; the confirm code is a secret.
	"memo":         maskBlob,
	"confirm_code": maskAll,
}

// plainKeys are fields whose values are identifiers or dates chosen by the
// merchant or by llgate, never personal data; their long digit runs stay
// readable so a masked sign source can still be compared with the
// merchant's own. user_id is deliberately not here: merchants often use
// the customer's phone number as user_id.
var plainKeys = map[string]bool{
	"oid_partner":  true,
	"no_order":     true,
	"dt_order":     true,
	"oid_paybill":  true,
	"no_agree":     true,
	"token":        true,
	"no_refund":    true,
	"dt_refund":    true,
	"oid_refundno": true,
	"settle_date":  true,
	"sign":         true,
}

// keyPattern finds a key in either form MaskText understands:
// k=v (group 2, at the start or after a non-word character) or a JSON member
// "k": (group 3, possibly with escaped quotes inside a JSON string).
var keyPattern = regexp.MustCompile(`(^|[^A-Za-z0-9_])([a-z][a-z0-9_]*)=|(\\*")([a-z][a-z0-9_]*)\\*"\s*:\s*`)

var digitRun = regexp.MustCompile(`[0-9]{11,}`)

func maskerFor(key string) func(string) string {
	if m, ok := sensitiveKeys[key]; ok {
		return m
	}
	if strings.HasPrefix(key, "user_info_") {
		return maskAll
	}
	return nil
}

// MaskField masks the value of one field named key as MaskText masks it in
// "key=value", but knowing where the value ends (it may hold '&', '"' or
// JSON): a sensitive field's masker takes the whole value, an identifier
// or date field stays, anything else goes through MaskText (its long digit
// runs, and the k=v pairs and JSON members it holds). It costs a
// fraction of MaskText over a whole body, whose regular expressions scan
// every byte: callers that hold the fields one by one (the request log's
// details) use it.
func MaskField(key, value string) string {
	if m := maskerFor(key); m != nil {
		return m(value)
	}
	if plainKeys[key] {
		return value
	}
	return MaskText(value)
}

type span struct {
	start, end int    // value bytes
	repl       string // replacement; keep is true for plain keys
	keep       bool
}

// MaskText masks personal data inside a sign source, a JSON body, or a
// message quoting either: the values of card_no, id_no, acct_name, bind_mob,
// mobile, cvv2, vali_date, verify_code, pay_load, risk_item, info_order and
// user_info_* (as k=v pairs or JSON members, including JSON inside a JSON
// string such as risk_item in a request body), and any other run of 11 or
// more digits except in the values of identifier and date fields such as
// oid_partner, no_order and dt_order.
func MaskText(s string) string {
	if plainText(s) {
		return s
	}
	var spans []span
	for _, m := range keyPattern.FindAllStringSubmatchIndex(s, -1) {
		var key string
		var vstart int
		var quote string
		if m[4] >= 0 { // k=v
			key, vstart = s[m[4]:m[5]], m[1]
		} else {
			key, vstart = s[m[8]:m[9]], m[1]
			quote = s[m[6]:m[7]]
		}
		if n := len(spans); n > 0 && m[0] < spans[n-1].end {
			continue // inside a value already masked
		}
		masker := maskerFor(key)
		if masker == nil && !plainKeys[key] {
			continue
		}
		var vend int
		if quote == "" {
			vend = pairValueEnd(s, vstart)
		} else {
			vstart, vend = jsonValue(s, vstart, quote)
		}
		sp := span{start: vstart, end: vend, keep: masker == nil}
		if masker != nil {
			sp.repl = masker(s[vstart:vend])
		}
		spans = append(spans, sp)
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(digitRun.ReplaceAllStringFunc(s[last:sp.start], maskDigits))
		if sp.keep {
			b.WriteString(s[sp.start:sp.end])
		} else {
			b.WriteString(sp.repl)
		}
		last = sp.end
	}
	b.WriteString(digitRun.ReplaceAllStringFunc(s[last:], maskDigits))
	return b.String()
}

// plainText says, in one pass, that s has nothing MaskText would change: no
// '=' or '"' (so no k=v pair and no JSON member) and no run of 11 digits.
// Most log lines and failure reasons are such text; the regular
// expressions are then not run at all.
func plainText(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '=' || c == '"':
			return false
		case '0' <= c && c <= '9':
			if run++; run >= 11 {
				return false
			}
		default:
			run = 0
		}
	}
	return true
}

// pairValueEnd finds the end of a k=v value: the next '&', line break or
// double quote, or the end of s. A value opening with '{' (risk_item in a
// sign source) runs to its matching brace, since JSON may hold '&'.
func pairValueEnd(s string, i int) int {
	if i < len(s) && s[i] == '{' {
		if end := braceEnd(s, i); end > 0 {
			return end
		}
	}
	if j := strings.IndexAny(s[i:], "&\r\n\""); j >= 0 {
		return i + j
	}
	return len(s)
}

// braceEnd returns the index just past the brace matching s[i] == '{',
// skipping over JSON strings, or -1.
func braceEnd(s string, i int) int {
	depth := 0
	inString := false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// jsonValue returns the value bytes of a JSON member starting at i. quote is
// the quote the key used (`"`, `\"`, `\\\"`, ...): a string value is
// delimited by the same quote and its contents returned; other values run
// to the next ',', '}', ']' or space.
func jsonValue(s string, i int, quote string) (int, int) {
	if strings.HasPrefix(s[i:], quote) {
		start := i + len(quote)
		if end := closingQuote(s, start, quote); end >= 0 {
			return start, end
		}
		return start, len(s)
	}
	j := strings.IndexAny(s[i:], ",}] \t\r\n\\&")
	if j < 0 {
		return i, len(s)
	}
	return i, i + j
}

// closingQuote finds the quote that ends a string opened with quote, which
// is a '"' preceded by exactly len(quote)-1 backslashes; a '"' preceded by
// more is an escaped quote inside the value.
func closingQuote(s string, i int, quote string) int {
	want := len(quote) - 1
	for j := i; j < len(s); j++ {
		if s[j] != '"' {
			continue
		}
		n := 0
		for k := j - 1; k >= i && s[k] == '\\'; k-- {
			n++
		}
		if n == want {
			return j - want
		}
		if n < want {
			// A quote of an outer level: the value ended without its own.
			return j - n
		}
	}
	return -1
}
