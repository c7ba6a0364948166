package protocol

import (
	"slices"
	"strings"
	"testing"
)

func mustDecode(tb testing.TB, body string) *Object {
	tb.Helper()
	o, err := Decode([]byte(body))
	if err != nil {
		tb.Fatalf("Decode(%q): %v", body, err)
	}
	return o
}

func TestSignSource(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		exclude    []string
		want       string
	}{
		{"DocsSample", `{"card_no":"403392******1234","oid_partner":"201408071000001543","sign_type":"RSA","sign":"x"}`,
			nil, "card_no=403392******1234&oid_partner=201408071000001543&sign_type=RSA"},
		{"BytewiseSort", `{"b":"1","a_b":"2","aB":"3","a":"4","Z":"5","é":"6"}`,
			nil, "Z=5&a=4&aB=3&a_b=2&b=1&é=6"},
		{"EmptyAndNullDropped", `{"platform":"","memo":null,"user_id":"u"}`, nil, "user_id=u"},
		{"NumbersLiteral", `{"offset":0,"valid_order":120,"x":1.50,"y":-2e3}`,
			nil, "offset=0&valid_order=120&x=1.50&y=-2e3"},
		{"ValuesVerbatim", `{"info_order":" a&b=c ","name":"张三\n"}`,
			nil, "info_order= a&b=c &name=张三\n"},
		{"RiskItemString", `{"risk_item":"{\"frms_ware_category\":\"4007\",\"goods_name\":\"测试\"}"}`,
			nil, `risk_item={"frms_ware_category":"4007","goods_name":"测试"}`},
		{"NestedRaw", `{"o":{ "b" : [1, 2] },"t":true,"f":false}`,
			nil, `f=false&o={ "b" : [1, 2] }&t=true`},
		{"Exclude", `{"oid_partner":"1","pay_load":"p","sign":"s"}`, []string{"pay_load"}, "oid_partner=1"},
		{"OnlySign", `{"sign":"s"}`, nil, ""},
		{"Empty", `{}`, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SignSource(mustDecode(t, tc.body), tc.exclude...); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSignSourceMap(t *testing.T) {
	m := map[string]string{"sign": "s", "ret_code": "0000", "ret_msg": "交易成功", "token": "", "b&c": "=", "pay_type": "2"}
	if got, want := SignSourceMap(m), "b&c==&pay_type=2&ret_code=0000&ret_msg=交易成功"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got, want := SignSourceMap(m, "ret_msg", "b&c"), "pay_type=2&ret_code=0000"; got != want {
		t.Errorf("with exclude: got %q, want %q", got, want)
	}
	if got := SignSourceMap(nil); got != "" {
		t.Errorf("SignSourceMap(nil) = %q", got)
	}
}

func TestLegacySignSources(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"None", `{"a":"1","offset":5,"sign":"s"}`, nil},
		{"PHPZero", `{"offset":0,"user_id":"u"}`, []string{"user_id=u"}},
		{"PHPZeroForms", `{"a":0.0,"b":-0,"c":0e9,"d":0.01,"e":"0"}`, []string{"d=0.01&e=0"}},
		{"PHPFalse", `{"a":false,"b":"x"}`, []string{"b=x"}},
		{"JavaEmpty", `{"platform":"","user_id":"u","memo":null}`, []string{"platform=&user_id=u"}},
		{"Both", `{"offset":0,"platform":"","user_id":"u","sign":""}`,
			[]string{"user_id=u", "offset=0&platform=&user_id=u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mustDecode(t, tc.body)
			got := LegacySignSources(o)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if slices.Contains(got, SignSource(o)) {
				t.Errorf("variants %q include SignSource", got)
			}
		})
	}
}

func TestAnswerUnsigned(t *testing.T) {
	for path, want := range map[string]string{
		"/bankcardbindlist.htm":          "agreement_list",
		"/queryapi/bankcardbindlist.htm": "agreement_list",
		"/orderquery.htm":                "bank_name,memo,card_no",
		"/bankcardbin.htm":               "",
		"/v1/bankcardbindverfy":          "",
	} {
		if got := strings.Join(AnswerUnsigned(path), ","); got != want {
			t.Errorf("AnswerUnsigned(%s): got %q, want %q", path, got, want)
		}
	}
}
