package protocol

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCodesMatchDocs compares the table with the docs page it was copied from
// (testdata/return-codes.md is spec/lianlian-docs/return-codes.md verbatim).
func TestCodesMatchDocs(t *testing.T) {
	doc, err := os.ReadFile("testdata/return-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\|(\d{4})\|([^|]*)\|([^|]*)`)
	var want []CodeInfo
	for _, line := range strings.Split(string(doc), "\n") {
		if m := row.FindStringSubmatch(strings.TrimRight(line, "\r")); m != nil {
			want = append(want, CodeInfo{m[1], strings.TrimSpace(m[2]), strings.TrimSpace(m[3])})
		}
	}
	got := Codes()
	if len(got) != len(want) || len(got) != 140 {
		t.Fatalf("got %d codes, docs have %d (want 140)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
	got[0].Message = "changed"
	if Message("0000") != "交易成功" {
		t.Error("Codes() shares its table with the caller")
	}
}

func TestMessage(t *testing.T) {
	for code, want := range map[string]string{
		"0000":  "交易成功",
		"1000":  "支付授权令牌失效或错误",
		"1001":  "商户请求签名错误",
		"1003":  "正在支付中,请稍后",
		"1012":  "请求报文解析失败",
		"3006":  "用户不存在",
		"4007":  "敏感信息解密异常",
		"8888":  "短信已下发，需要再次验证",
		"9702":  "验证码错误次数超过最大次数,请重新获取进行验证",
		"9901":  "请求报文非法",
		"9999":  "系统错误",
		"":      "",
		"0001":  "",
		"00000": "",
	} {
		if got := Message(code); got != want {
			t.Errorf("Message(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestRetMsg(t *testing.T) {
	for _, tc := range []struct{ code, field, want string }{
		{"1004", "money_order", "商户请求参数校验错误（money_order）"},
		{"1004", "", "商户请求参数校验错误"},
		{"8888", "", "短信已下发，需要再次验证"},
		{"9700", "ignored", "短信验证码错误"},
		{"1234", "", "系统错误"},
		{"", "", "系统错误"},
	} {
		if got := RetMsg(tc.code, tc.field); got != tc.want {
			t.Errorf("RetMsg(%q, %q) = %q, want %q", tc.code, tc.field, got, tc.want)
		}
	}
}
