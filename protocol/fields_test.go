package protocol

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// wantFieldError fails unless err is a 1004 naming field.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	var e *llgate.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a 1004 (%s)", err, field)
	}
	if e.Code != llgate.CodeBadField || e.Field != field {
		t.Errorf("got %s (%s), want %s (%s)", e.Code, e.Field, llgate.CodeBadField, field)
	}
}

type fieldCase struct {
	in string
	ok bool
}

func runFieldCases(t *testing.T, name string, fn func(field, s string) error, cases []fieldCase) {
	t.Helper()
	for _, tc := range cases {
		err := fn("f", tc.in)
		if tc.ok {
			if err != nil {
				t.Errorf("%s(%q) = %v, want nil", name, tc.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s(%q) = nil, want a 1004", name, tc.in)
			continue
		}
		wantFieldError(t, err, "f")
	}
}

func TestValidateCardNo(t *testing.T) {
	runFieldCases(t, "ValidateCardNo", ValidateCardNo, []fieldCase{
		{"6222021234567800002", true},
		{"622202123456", true},
		{"6222021234567800003", true}, // Luhn is the issuer's 1100
		{"62220212345", false},
		{"62220212345678000021", false},
		{"", false},
		{"6222 0212 3456 7800", false},
		{"622202123456780000a", false},
		{"６222021234567800002", false},
	})
}

func TestValidateIDNo(t *testing.T) {
	for _, tc := range []struct {
		idType, idNo string
		field        string // "" for valid
	}{
		{"0", "110105199003071239", ""},
		{"0", "11010519491231002X", ""},
		{"0", "11010519491231002x", ""},
		{"0", "339005198901194918", ""},      // a sample in the LianLian docs
		{"0", "330401198001014616", "id_no"}, // another sample: its check character is 7
		{"0", "110105199003071238", "id_no"}, // wrong check character
		{"0", "11010519491231002Y", "id_no"},
		{"0", "110105194912310029", "id_no"},                // X expected
		{"0", makeID("110105", "19900230", "123"), "id_no"}, // February 30th, right check character
		{"0", makeID("110105", "19900229", "123"), "id_no"},
		{"0", makeID("110105", "19000229", "123"), "id_no"}, // 1900 is no leap year
		{"0", makeID("110105", "20000229", "123"), ""},      // 2000 is
		{"0", makeID("110105", "19001231", "123"), ""},
		{"0", makeID("110105", "18991231", "123"), "id_no"},
		{"0", makeID("110105", "20991231", "123"), ""},
		{"0", makeID("110105", "21000101", "123"), "id_no"},
		{"0", makeID("110105", "19901301", "123"), "id_no"},
		{"0", makeID("110105", "19901200", "123"), "id_no"},
		{"0", "110105900307123", ""},      // 15 digits, 1990-03-07
		{"0", "110105000228123", ""},      // 15 digits are 19YY: 1900-02-28
		{"0", "110105000229123", "id_no"}, // 1900 is no leap year
		{"0", "110105960229123", ""},
		{"0", "110105900230123", "id_no"},
		{"0", "110105901301123", "id_no"},
		{"0", "11010590030712X", "id_no"},
		{"0", "1101051990030712391", "id_no"},
		{"0", "11010519900307123", "id_no"},
		{"0", "1101051990030712 9", "id_no"},
		{"0", "", "id_no"},
		{"0", "X10105199003071239", "id_no"},
		{"2", "E12345678", ""},
		{"2", "e12345678", ""},
		{"4", "H1234567801", ""},
		{"X", strings.Repeat("A", 32), ""},
		{"X", strings.Repeat("A", 33), "id_no"},
		{"2", "", "id_no"},
		{"2", "E1234&id=1", "id_no"},
		{"2", "E 12345678", "id_no"},
		{"9", "警12345", "id_no"},
		{"6", "12345678", ""},
		{"3", "1", ""},
		{"1", "110105199003071239", "id_type"},
		{"x", "E12345678", "id_type"},
		{"", "110105199003071239", "id_type"},
		{"00", "110105199003071239", "id_type"},
	} {
		err := ValidateIDNo(tc.idType, tc.idNo)
		if tc.field == "" {
			if err != nil {
				t.Errorf("ValidateIDNo(%q, %q) = %v, want nil", tc.idType, tc.idNo, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateIDNo(%q, %q) = nil, want a 1004 (%s)", tc.idType, tc.idNo, tc.field)
			continue
		}
		wantFieldError(t, err, tc.field)
	}
	if got, want := ValidateIDNo("0", "110105900230123") == nil, false; got != want {
		t.Errorf("1990-02-30 accepted: %v, want %v", got, want)
	}
}

// makeID builds an 18-character ID number with the right check character.
func makeID(region, birth, seq string) string {
	d := region + birth + seq
	return d + string(checkChar(d))
}

// checkChar computes the GB 11643 check character the long way, apart from
// fields.go: weight 2^(17-i) mod 11, check value (12 - sum mod 11) mod 11,
// 10 written X.
func checkChar(d string) byte {
	sum, w := 0, 1
	for i := len(d) - 1; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(d[i]-'0') * w
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return 'X'
	}
	return byte('0' + v)
}

// idCardOK is ValidateIDNo's rule for id_type 0, written apart: time.Parse
// for the date, checkChar for the check character.
func idCardOK(s string) bool {
	date := func(ymd string) bool {
		d, err := time.Parse("20060102", ymd)
		return onlyOf(ymd, decimal) && err == nil && d.Year() >= 1900 && d.Year() <= 2099
	}
	switch {
	case len(s) == 18 && onlyOf(s[:17], decimal) && strings.Contains("0123456789Xx", s[17:]):
		return date(s[6:14]) && strings.ToUpper(s[17:]) == string(checkChar(s[:17]))
	case len(s) == 15 && onlyOf(s, decimal):
		return date("19" + s[6:12])
	}
	return false
}

func TestValidateMobile(t *testing.T) {
	runFieldCases(t, "ValidateMobile", ValidateMobile, []fieldCase{
		{"13800138000", true},
		{"19912345678", true},
		{"18667140528", true},
		{"12800138000", false},
		{"23800138000", false},
		{"1380013800", false},
		{"138001380000", false},
		{"+8613800138000", false},
		{"138-0013-800", false},
		{"1380013800a", false},
		{"", false},
	})
}

func TestValidateName(t *testing.T) {
	runFieldCases(t, "ValidateName", ValidateName, []fieldCase{
		{"张三", true},
		{"买买提·艾力", true},
		{"Zhang San", true},
		{"O'Brien-Smith", true},
		{strings.Repeat("张", 64), true},
		{strings.Repeat("张", 65), false},
		{"", false},
		{" ", false},
		{"\u3000\u3000", false}, // ideographic spaces
		{"张三&no_agree=1", false},
		{"a=b", false},
		{"张\n三", false},
		{"张\x00三", false},
		{"张\u0085三", false}, // C1 control
		{"\xff\xfe", false},
	})
}

func TestValidateRefs(t *testing.T) {
	cases := []fieldCase{
		{"2013051500001", true},
		{"vec-java-lf-1001-b", true},
		{"4d80a9b351f8b167a661c84dc013e927", true},
		{"a", true},
		{"!#$%'()*+,-./:;<>?@[]^_`{|}~", true},
		{strings.Repeat("1", 33), false},
		{"", false},
		{"a b", false},
		{"a&b", false},
		{"a=b", false},
		{"a\tb", false},
		{"a\x7fb", false},
		{"订单1", false},
	}
	runFieldCases(t, "ValidateUserID", ValidateUserID, cases)
	runFieldCases(t, "ValidateOrderNo", ValidateOrderNo, cases)
}

func TestValidateToken(t *testing.T) {
	runFieldCases(t, "ValidateToken", ValidateToken, []fieldCase{
		{NewToken(), true},
		{"FF2B6010C5948BFF5AEB6D40AEA42351", true},
		{"ff2b6010c5948bff5aeb6d40aea42351", false},
		{"FF2B6010C5948BFF5AEB6D40AEA4235", false},
		{"FF2B6010C5948BFF5AEB6D40AEA423511", false},
		{"GF2B6010C5948BFF5AEB6D40AEA42351", false},
		{"", false},
	})
}

func TestValidateNoAgree(t *testing.T) {
	runFieldCases(t, "ValidateNoAgree", ValidateNoAgree, []fieldCase{
		{NewNoAgree(), true},
		{"2026422776727395", true},
		{"202642277672739", false},
		{"20264227767273951", false},
		{"202642277672739a", false},
		{"", false},
	})
}

func TestValidateCode(t *testing.T) {
	runFieldCases(t, "ValidateCode", ValidateCode, []fieldCase{
		{"123456", true},
		{"1234", true},
		{"12345678", true},
		{"123", false},
		{"123456789", false},
		{"12345a", false},
		{" 123456", false},
		{"", false},
	})
}

func TestValidateURL(t *testing.T) {
	runFieldCases(t, "ValidateURL", ValidateURL, []fieldCase{
		{"https://merchant.example.com/llpay/notify", true},
		{"https://merchant.example.com/llpay/notify?m=xxxxxxxxxxxxxxxxxxxxxxxxxxx&n=1", true},
		{"http://payhttp.xiaofubao.com/***/back.shtml", true}, // the docs' sample
		{"http://127.0.0.1:8081/notify", true},
		{"http://[::1]:8081/notify", true},
		{"HTTPS://merchant.example.com/", true},
		{"https://merchant.example.com/" + strings.Repeat("a", 512-len("https://merchant.example.com/")), true},
		{"https://merchant.example.com/" + strings.Repeat("a", 513-len("https://merchant.example.com/")), false},
		{"ftp://merchant.example.com/", false},
		{"//merchant.example.com/notify", false},
		{"/notify", false},
		{"https:///notify", false},
		{"https://:8080/notify", false},
		{"https:merchant.example.com", false},
		{"mailto:a@example.com", false},
		{"https://merchant.example.com/a b", false},
		{"https://merchant.example.com/\x00", false},
		{"https://merchant.example.com:port/", false},
		{"https://例子.com/", false},
		{"", false},
	})
}

// fieldsLiterals are the string literals of fields.go: every Detail must be
// one, so no Detail can carry the value.
var fieldsLiterals = sync.OnceValues(func() (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "fields.go", nil, 0)
	if err != nil {
		return nil, err
	}
	lits := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if s, err := strconv.Unquote(b.Value); err == nil {
				lits[s] = true
			}
		}
		return true
	})
	return lits, nil
})

// The oracles are written apart from fields.go, with strings.Trim and
// strings.IndexFunc rather than byte loops. (Not regexp: its pooled machines
// make coverage flaky, and the fuzzer then spends minutes minimizing.)
const decimal = "0123456789"

func onlyOf(s, set string) bool { return strings.Trim(s, set) == "" }

func lenIn(s string, lo, hi int) bool { return len(s) >= lo && len(s) <= hi }

// refOK: printable ASCII but '&' and '='; IndexFunc sees invalid UTF-8 as
// U+FFFD, outside the range too.
func refOK(s string) bool {
	return lenIn(s, 1, 32) && strings.IndexFunc(s, func(r rune) bool { return r < '!' || r > '~' || r == '&' || r == '=' }) < 0
}

var fieldOracles = []struct {
	name   string
	fn     func(field, s string) error
	field  string
	oracle func(s string) bool // nil: none
}{
	{"CardNo", ValidateCardNo, "card_no", func(s string) bool { return lenIn(s, 12, 19) && onlyOf(s, decimal) }},
	{"Mobile", ValidateMobile, "bind_mob", func(s string) bool {
		return len(s) == 11 && strings.HasPrefix(s, "1") && strings.Contains("3456789", s[1:2]) && onlyOf(s, decimal)
	}},
	{"Name", ValidateName, "acct_name", nil},
	{"UserID", ValidateUserID, "user_id", refOK},
	{"Token", ValidateToken, "token", func(s string) bool { return len(s) == 32 && onlyOf(s, decimal+"ABCDEF") }},
	{"NoAgree", ValidateNoAgree, "no_agree", func(s string) bool { return len(s) == 16 && onlyOf(s, decimal) }},
	{"Code", ValidateCode, "verify_code", func(s string) bool { return lenIn(s, 4, 8) && onlyOf(s, decimal) }},
	{"OrderNo", ValidateOrderNo, "no_order", refOK},
	{"URL", ValidateURL, "notify_url", nil},
	{"IDNoPassport", func(_, s string) error { return ValidateIDNo("2", s) }, "id_no", func(s string) bool {
		return lenIn(s, 1, 32) && onlyOf(s, decimal+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	}},
}

// fixedTexts are every message a validator may give, one a line: field
// names and fields.go literals only.
var fixedTexts = sync.OnceValue(func() string {
	lits, _ := fieldsLiterals()
	var b strings.Builder
	for _, field := range []string{"card_no", "bind_mob", "acct_name", "user_id", "vali_date", "cvv2", "token",
		"no_agree", "verify_code", "no_order", "notify_url", "id_no", "id_type"} {
		for lit := range lits {
			b.WriteString((&llgate.Error{Code: llgate.CodeBadField, Field: field, Detail: lit}).Error() + "\n")
		}
	}
	return b.String()
})

// checkSafeError fails unless err is nil or a plain 1004 naming field whose
// Detail is a string literal of fields.go. Its text is then made of fixed
// texts only and cannot carry the value; the last check says so directly: an
// input of 6+ characters found in the text must itself be fixed text
// ("digits").
func checkSafeError(t *testing.T, name string, err error, field, s string) {
	t.Helper()
	if err == nil {
		return
	}
	var e *llgate.Error
	if !errors.As(err, &e) || e.Code != llgate.CodeBadField || e.Field != field || e.Err != nil {
		t.Fatalf("%s(%q) = %#v, want a plain 1004 (%s)", name, s, err, field)
	}
	lits, perr := fieldsLiterals()
	if perr != nil {
		t.Fatal(perr)
	}
	if !lits[e.Detail] {
		t.Fatalf("%s(%q): Detail %q is not a fixed text", name, s, e.Detail)
	}
	if len(s) >= 6 && strings.Contains(err.Error(), s) && !strings.Contains(fixedTexts(), s) {
		t.Fatalf("%s(%q): error %q shows the value", name, s, err)
	}
}

// FuzzBindValidators: no validator panics or shows its input; the regexp
// oracles agree; ValidateIDNo agrees with idCardOK, also on ID numbers built
// from the input with the right (or a wrong) check character.
func FuzzBindValidators(f *testing.F) {
	for _, s := range []string{
		"", "6222021234567800002", "110105199003071239", "11010519491231002X", "110105900307123",
		"13800138000", "张三", "vec-java-lf-1001", "2002", "627", NewToken(), NewNoAgree(), "123456",
		"https://merchant.example.com/llpay/notify?m=1", "a&b=c", "\xff", "must be 16 digits", "1004 (card_no): ",
		"11010520000229123X",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Every limit is under 128 bytes but URL's and Name's; those see a
		// long repetition of s. The cap keeps the fuzzer's minimizing of a
		// new input (quadratic in its length) from stalling the run.
		if len(s) > fuzzMax {
			s = s[:fuzzMax]
		}
		if s != "" {
			long := strings.Repeat(s, 600/len(s)+1)
			checkSafeError(t, "ValidateURL", ValidateURL("notify_url", long), "notify_url", long)
			checkSafeError(t, "ValidateName", ValidateName("acct_name", long), "acct_name", long)
		}
		for _, o := range fieldOracles {
			err := o.fn(o.field, s)
			checkSafeError(t, o.name, err, o.field, s)
			if o.oracle != nil && (err == nil) != o.oracle(s) {
				t.Fatalf("%s(%q) = %v, the oracle says %v", o.name, s, err, o.oracle(s))
			}
		}
		for _, typ := range []string{"0", "2", "3", "4", "6", "9", "X"} {
			err := ValidateIDNo(typ, s)
			checkSafeError(t, "ValidateIDNo", err, "id_no", s)
		}
		if err := ValidateIDNo(s, "110105199003071239"); (err == nil) != (len(s) == 1 && strings.Contains("023469X", s)) {
			t.Fatalf("ValidateIDNo(%q, valid) = %v", s, err)
		} else {
			checkSafeError(t, "ValidateIDNo type", err, "id_type", s)
		}
		if got, want := ValidateIDNo("0", s) == nil, idCardOK(s); got != want {
			t.Fatalf("ValidateIDNo(0, %q) accepts %v, idCardOK %v", s, got, want)
		}
		// An ID number from the input's bytes: dates near and outside the
		// range, any day 0-31, the right check character most of the time.
		if len(s) >= 7 {
			b := []byte(s)
			year := 1890 + int(b[0])%220
			body := "110105" + strconv.Itoa(year) + twoDigits(int(b[1])%14) + twoDigits(int(b[2])%33) +
				strconv.Itoa(100+int(b[3])%900)
			check := checkChar(body)
			if b[4]%8 == 0 {
				check = "0123456789X"[int(b[5])%11]
			}
			if b[6]%2 == 0 && check == 'X' {
				check = 'x'
			}
			id := body + string(check)
			if got, want := ValidateIDNo("0", id) == nil, idCardOK(id); got != want {
				t.Fatalf("ValidateIDNo(0, %q) accepts %v, idCardOK %v", id, got, want)
			}
			id15 := "110105" + twoDigits(int(b[0])%100) + twoDigits(int(b[1])%14) + twoDigits(int(b[2])%33) + "123"
			if got, want := ValidateIDNo("0", id15) == nil, idCardOK(id15); got != want {
				t.Fatalf("ValidateIDNo(0, %q) accepts %v, idCardOK %v", id15, got, want)
			}
		}
	})
}

const fuzzMax = 128

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
