package protocol

import (
	"errors"
	"slices"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestDecode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		body := "\xef\xbb\xbf \r\n{\"b\":\"x\\/y\\u5f20\\ud83d\\ude00\",\"a\":0,\"c\":null,\"d\":true,\"e\":{\"k\":[1, {\"z\":\"\"}]},\"f\":[],\"g\":\"\",\"h\":-1.5e+3} \n"
		o, err := Decode([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := o.Keys(), []string{"b", "a", "c", "d", "e", "f", "g", "h"}; !slices.Equal(got, want) {
			t.Errorf("Keys() = %q, want %q", got, want)
		}
		if got, want := o.Len(), 8; got != want {
			t.Errorf("Len() = %d, want %d", got, want)
		}
		for _, tc := range []struct {
			key  string
			kind Kind
			text string
		}{
			{"b", KindString, "x/y张😀"},
			{"a", KindNumber, "0"},
			{"c", KindNull, ""},
			{"d", KindBool, "true"},
			{"e", KindObject, `{"k":[1, {"z":""}]}`},
			{"f", KindArray, "[]"},
			{"g", KindString, ""},
			{"h", KindNumber, "-1.5e+3"},
		} {
			v, ok := o.Value(tc.key)
			if !ok || v.Kind != tc.kind || v.Text != tc.text {
				t.Errorf("Value(%q) = %+v, %v; want {%v %q}", tc.key, v, ok, tc.kind, tc.text)
			}
			if got := o.Get(tc.key); got != tc.text {
				t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.text)
			}
			if got, want := o.Has(tc.key), tc.text != ""; got != want {
				t.Errorf("Has(%q) = %v, want %v", tc.key, got, want)
			}
		}
		if o.Has("missing") || o.Get("missing") != "" {
			t.Error("a missing key is present")
		}
		if _, ok := o.Value("missing"); ok {
			t.Error("Value(missing) reports ok")
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		o, err := Decode([]byte("{}"))
		if err != nil || o.Len() != 0 {
			t.Fatalf("Decode({}) = %v, %v", o, err)
		}
	})

	t.Run("KeysIsACopy", func(t *testing.T) {
		o, _ := Decode([]byte(`{"a":"1"}`))
		o.Keys()[0] = "x"
		if got := o.Keys()[0]; got != "a" {
			t.Errorf("Keys()[0] = %q after changing a returned slice", got)
		}
	})

	deep := func(n int) string {
		return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}"
	}
	t.Run("MaxDepth", func(t *testing.T) {
		if _, err := Decode([]byte(deep(MaxDepth))); err != nil {
			t.Fatalf("depth %d: %v", MaxDepth, err)
		}
	})

	for _, tc := range []struct {
		name, body, code string
	}{
		{"Empty", "", "1012"},
		{"Spaces", " \r\n\t", "1012"},
		{"NotJSON", "oid_partner=1&sign=x", "1012"},
		{"Array", `[{"a":"b"}]`, "1012"},
		{"String", `"a"`, "1012"},
		{"Null", `null`, "1012"},
		{"Trailing", `{"a":"b"}x`, "1012"},
		{"TwoObjects", `{"a":"b"}{"a":"b"}`, "1012"},
		{"Unterminated", `{"a":"b"`, "1012"},
		{"UnterminatedString", `{"a":"b`, "1012"},
		{"UnterminatedEscape", `{"a":"b\`, "1012"},
		{"TrailingComma", `{"a":"b",}`, "1012"},
		{"SingleQuotes", `{'a':'b'}`, "1012"},
		{"BareKey", `{a:"b"}`, "1012"},
		{"InvalidUTF8", "{\"a\":\"\xff\"}", "1012"},
		{"InvalidUTF8Key", "{\"\xc3\":\"b\"}", "1012"},
		{"LoneHighSurrogate", `{"a":"\ud83d"}`, "1012"},
		{"LoneHighSurrogateThenText", `{"a":"\ud83dxxxxxx"}`, "1012"},
		{"HighThenNonLow", `{"a":"\ud83d\u0041"}`, "1012"},
		{"LoneLowSurrogate", `{"a":"\ude00"}`, "1012"},
		{"NUL", `{"a":"\u0000"}`, "1012"},
		{"BadEscape", `{"a":"\x41"}`, "1012"},
		{"ShortUnicode", `{"a":"\u41"}`, "1012"},
		{"ControlChar", "{\"a\":\"b\tc\"}", "1012"},
		{"LeadingZero", `{"a":01}`, "1012"},
		{"Plus", `{"a":+1}`, "1012"},
		{"BareDot", `{"a":1.}`, "1012"},
		{"BareExponent", `{"a":1e}`, "1012"},
		{"Minus", `{"a":-}`, "1012"},
		{"NaN", `{"a":NaN}`, "1012"},
		{"BadLiteral", `{"a":tru}`, "1012"},
		{"Comment", `{"a":"b"/**/}`, "1012"},
		{"ArrayTrailingComma", `{"a":[1,]}`, "1012"},
		{"MissingColon", `{"a" "b"}`, "1012"},
		{"TooDeep", deep(MaxDepth + 1), "9901"},
		{"TooDeepObjects", `{"a":` + strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth) + "}", "9901"},
		{"Duplicate", `{"sign":"a","sign":"b"}`, "9901"},
		{"DuplicateByEscape", `{"sign":"a","\u0073ign":"b"}`, "9901"},
		{"CaseVariant", `{"sign":"a","SIGN":"b"}`, "9901"},
		{"CaseVariantUnicode", `{"sign":"a","ſign":"b"}`, "9901"},
		{"CaseVariantKelvin", `{"k":"a","K":"b"}`, "9901"},
		{"NestedDuplicate", `{"a":[{"x":1,"x":2}]}`, "9901"},
		{"NestedCaseVariant", `{"a":{"Xy":1,"xY":2}}`, "9901"},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			o, err := Decode([]byte(tc.body))
			var e *llgate.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode(%q) = %v, %v; want *llgate.Error", tc.body, o, err)
			}
			if e.Code != tc.code {
				t.Fatalf("Decode(%q) code %s (%v), want %s", tc.body, e.Code, err, tc.code)
			}
		})
	}
}

func TestFoldKey(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"sign", "SIGN", true},
		{"sign", "Sign", true},
		{"sign", "ſign", true},
		{"k", "\u212a", true},
		{"用户", "用户", true},
		{"sign", "sign_type", false},
		{"a_b", "a-b", false},
	} {
		if got := foldKey(tc.a) == foldKey(tc.b); got != tc.same {
			t.Errorf("foldKey(%q) == foldKey(%q): got %v, want %v", tc.a, tc.b, got, tc.same)
		}
		if got := strings.EqualFold(tc.a, tc.b); got != tc.same {
			t.Errorf("strings.EqualFold(%q, %q) = %v, the test expects %v", tc.a, tc.b, got, tc.same)
		}
	}
}

// TestFoldKeyASCII proves the ASCII fast path equals the general rule.
func TestFoldKeyASCII(t *testing.T) {
	for c := rune(0); c < 0x80; c++ {
		if got, want := foldKey(string(c)), string(foldRune(c)); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", c, got, want)
		}
	}
}
