package protocol

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
)

// Validate checks a verified request against its endpoint: every Required
// field present, every present field's Check, the endpoint's Rule, then
// that no value smuggles another field into the sign source (Smuggled).
// It returns the *llgate.Error the endpoint answers.
func Validate(e *Endpoint, o *Object) error {
	for _, f := range e.Request {
		if f.Need == Required && !o.Has(f.Name) {
			return llgate.FieldError(f.Name, "missing")
		}
	}
	for _, f := range e.Request {
		if f.Check == nil || !o.Has(f.Name) {
			continue
		}
		if err := f.Check(f.Name, o.Get(f.Name)); err != nil {
			return err
		}
	}
	if e.Rule != nil {
		if err := e.Rule(o); err != nil {
			return err
		}
	}
	return Smuggled(e, o)
}

// Smuggled refuses (1004) a value holding '&' immediately followed by one of
// the endpoint's field names and '=': the sign source joins k=v with '&'
// and no escaping, so a signed name_goods "Pen&no_agree=X" verifies again
// when re-sent as name_goods "Pen" and no_agree "X". "M&M" still passes.
func Smuggled(e *Endpoint, o *Object) error {
	for _, k := range o.keys {
		v := o.Get(k)
		for i := strings.IndexByte(v, '&'); i >= 0; {
			rest := v[i+1:]
			if eq := strings.IndexByte(rest, '='); eq > 0 {
				if _, ok := e.Field(rest[:eq]); ok {
					return llgate.FieldError(k, "holds '&"+rest[:eq]+"=', which would re-split the sign source")
				}
			}
			j := strings.IndexByte(rest, '&')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return nil
}

// CheckJSONObject: a JSON object in a string (risk_item).
func CheckJSONObject(name, v string) error {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &m) != nil {
		return llgate.FieldError(name, "not a JSON object")
	}
	return nil
}

// payRiskKeys must be in a pay apply's risk_item (CONTRACT.md §6).
var payRiskKeys = []string{"frms_ware_category", "user_info_mercht_userno", "user_info_dt_register", "goods_name"}

// CheckPayRisk: a JSON object in a string with the keys risk control needs.
func CheckPayRisk(name, v string) error {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &m) != nil {
		return llgate.FieldError(name, "not a JSON object")
	}
	for _, k := range payRiskKeys {
		if raw, ok := m[k]; !ok || string(raw) == `""` || string(raw) == "null" {
			return llgate.FieldError(name, "missing "+k)
		}
	}
	return nil
}

// CheckOneOf accepts one character of values (pay_type "23P").
func CheckOneOf(values string) func(name, v string) error {
	return func(name, v string) error {
		if len(v) != 1 || !strings.Contains(values, v) {
			return llgate.FieldError(name, "not one of "+strings.Join(strings.Split(values, ""), ", "))
		}
		return nil
	}
}

// CheckOneOfWords accepts one of words.
func CheckOneOfWords(words ...string) func(name, v string) error {
	return func(name, v string) error {
		for _, w := range words {
			if v == w {
				return nil
			}
		}
		return llgate.FieldError(name, "not one of "+strings.Join(words, ", "))
	}
}

// ValidateBindSerial checks a bind application's no_order. The docs give it
// no length and it is only echoed; the official Java demo sends 33
// characters, so the payment limit of 32 would refuse real clients.
func ValidateBindSerial(name, v string) error {
	if len(v) > 64 {
		return llgate.FieldError(name, "must be at most 64 characters")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '&' || c == '=' {
			return llgate.FieldError(name, "must be printable ASCII without spaces, '&' or '='")
		}
	}
	return nil
}

// CheckTime: yyyyMMddHHmmss, a calendar time.
func CheckTime(name, v string) error {
	_, err := ParseTime(name, v)
	return err
}

// CheckAmount: a money string (ParseAmount).
func CheckAmount(name, v string) error {
	_, err := ParseAmount(name, v)
	return err
}

// CheckToken: a malformed token is answered like an unknown one (1000).
func CheckToken(name, v string) error {
	if ValidateToken(name, v) != nil {
		return llgate.Errorf(llgate.CodeTokenInvalid, "malformed token")
	}
	return nil
}

// CheckNoAgree: a malformed no_agree is answered like an unknown one (3003).
func CheckNoAgree(name, v string) error {
	if ValidateNoAgree(name, v) != nil {
		return llgate.Errorf(llgate.CodeNoAgreement, "malformed no_agree")
	}
	return nil
}

// CheckPage: the bind list's offset, a page number from 0.
func CheckPage(name, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 || len(v) > 8 {
		return llgate.FieldError(name, "not a page number from 0")
	}
	return nil
}

// CheckText limits free text to max characters of valid UTF-8.
func CheckText(max int) func(name, v string) error {
	return func(name, v string) error {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
			return llgate.FieldError(name, "too long")
		}
		return nil
	}
}

// CheckValidOrder: minutes from 1 to 525600 (a JSON number from Java).
func CheckValidOrder(name, v string) error {
	_, err := ParseValidOrder(name, v)
	return err
}

// ParseValidOrder reads valid_order in minutes.
func ParseValidOrder(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 525600 || len(v) > 6 {
		return 0, llgate.FieldError(name, "not a number of minutes from 1 to 525600")
	}
	return n, nil
}

// checkHolder checks the identity document, which needs both id_type and
// id_no.
func checkHolder(o *Object) error {
	return ValidateIDNo(o.Get("id_type"), o.Get("id_no"))
}

// checkPayCard: a payment names its card by no_agree, or carries the card
// elements.
func checkPayCard(o *Object) error {
	if o.Has("no_agree") {
		return nil
	}
	for _, f := range holderFields {
		if !o.Has(f.Name) {
			return llgate.FieldError(f.Name, "missing")
		}
	}
	return checkHolder(o)
}

// oneOf requires a or b (1004 naming b when both are missing).
func oneOf(a, b string) func(*Object) error {
	return func(o *Object) error {
		if !o.Has(a) && !o.Has(b) {
			return llgate.FieldError(b, "missing")
		}
		return nil
	}
}
