package llgate_test

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestMaskCard(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"6222081234567890000", "622208*********0000"},
		{"6222081234560000", "622208******0000"},
		{"622208123450000", "622208*****0000"},
		{"62220812340000", "**********0000"},
		{"12345", "*2345"},
		{"1234", "1234"},
		{"", ""},
	} {
		if got := llgate.MaskCard(tc.in); got != tc.want {
			t.Errorf("MaskCard(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"8613800138000", "861******8000"},
		{"1380013800", "**********"},
		{"", ""},
	} {
		if got := llgate.MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"110105199003071239", "1****************9"},
		{"11010519900307123X", "1****************X"},
		{"G1234567", "G******7"},
		{"12345", "*****"},
	} {
		if got := llgate.MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"张三", "张*"},
		{"欧阳娜娜", "欧***"},
		{"张", "*"},
		{"Li Lei", "L*****"},
		{"", ""},
	} {
		if got := llgate.MaskName(tc.in); got != tc.want {
			t.Errorf("MaskName(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// secrets are the personal data of the java-lf test vectors.
var secrets = []string{"6222021234567800002", "110105199003071239", "13800138000", "张三"}

func assertNoSecrets(t *testing.T, got string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("masked text still contains %q:\n%s", s, got)
		}
	}
}

func TestMaskText_SignSource(t *testing.T) {
	b, err := os.ReadFile("testdata/clients/java-lf/01-bankcardbind.signsrc.txt")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for _, s := range secrets {
		if !strings.Contains(src, s) {
			t.Fatalf("test vector lacks %q", s)
		}
	}
	got := llgate.MaskText(src)
	assertNoSecrets(t, got)
	for _, want := range []string{
		"acct_name=张*&",
		"bind_mob=138****8000&",
		"card_no=622202*********0002&",
		"id_no=1****************9&",
		"dt_order=20261122100000&",
		"oid_partner=201408071000001539&",
		"no_order=vec-java-lf-bind-20261122100000&",
		"sign_type=RSA&",
		"user_id=vec-java-lf-1001",
		"risk_item=***(",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got %s\nwant it to contain %q", got, want)
		}
	}
}

func TestMaskText_Bodies(t *testing.T) {
	for _, name := range []string{
		"testdata/clients/java-lf/01-bankcardbind.plain.json",
		"testdata/clients/php/01-bankcardbind.plain.json",
	} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			got := llgate.MaskText(string(b))
			for _, s := range []string{"62220212345", "1101051990030712", "1380013800", "张三", `\u5f20\u4e09`} {
				if strings.Contains(got, s) {
					t.Errorf("masked body still contains %q:\n%s", s, got)
				}
			}
			if !strings.Contains(got, "201408071000001539") {
				t.Errorf("masked body lost oid_partner:\n%s", got)
			}
		})
	}
}

func TestMaskText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Pairs",
			"sign_type=RSA&card_no=6222081234567890000&cvv2=123&vali_date=2002",
			"sign_type=RSA&card_no=622208*********0000&cvv2=***&vali_date=****"},
		{"FreeDigits",
			"user_id=13800138000&note=call 13800138000 now",
			"user_id=*******8000&note=call *******8000 now"},
		{"ShortDigitsKept",
			"money_order=1234567890.00&valid_order=10080",
			"money_order=1234567890.00&valid_order=10080"},
		{"IdentifiersKept",
			"oid_partner=201408071000001539&no_agree=2026112200000001&oid_paybill=2026112200000002&dt_order=20261122100000",
			"oid_partner=201408071000001539&no_agree=2026112200000001&oid_paybill=2026112200000002&dt_order=20261122100000"},
		{"JSON",
			`{"card_no":"6222081234567890000","oid_partner":"201408071000001539","bind_mob":"13800138000","offset":12345678901}`,
			`{"card_no":"622208*********0000","oid_partner":"201408071000001539","bind_mob":"138****8000","offset":*******8901}`},
		{"JSONSpaces",
			`{"id_no" : "110105199003071239"}`,
			`{"id_no" : "1****************9"}`},
		{"EscapedJSONInString",
			`risk="{\"user_info_full_name\":\"张三\",\"frms_ware_category\":\"4007\"}"`,
			`risk="{\"user_info_full_name\":\"**\",\"frms_ware_category\":\"4007\"}"`},
		{"RiskItemWithAmpersand",
			`risk_item={"goods_name":"A&B","user_info_full_name":"张三"}&sign_type=RSA`,
			`risk_item=***(51 bytes)&sign_type=RSA`},
		{"InMessage",
			`bad sign; source "acct_name=张三&card_no=6222081234567890000"`,
			`bad sign; source "acct_name=张*&card_no=622208*********0000"`},
		{"KeySuffixNotMatched",
			"xcard_no=abc&mycvv2=12",
			"xcard_no=abc&mycvv2=12"},
		{"PayLoad",
			`{"oid_partner":"201408071000001539","pay_load":"lianpay1_0_1$abc$def"}`,
			`{"oid_partner":"201408071000001539","pay_load":"***(20 bytes)"}`},
		{"Empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := llgate.MaskText(tc.in); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func FuzzMaskText(f *testing.F) {
	f.Add("card_no=6222081234567890000&acct_name=张三")
	f.Add(`{"risk_item":"{\"user_info_id_no\":\"110105199003071239\"}"}`)
	f.Add(`\\\"id_no\\\":\\\"1101`)
	f.Add("call 13800138000")
	f.Fuzz(func(t *testing.T, s string) {
		got := llgate.MaskText(s)
		if strings.ContainsAny(s, "=\"") {
			return // identifier fields may keep long digit runs
		}
		run := 0
		for i := 0; i < len(got); i++ {
			if got[i] >= '0' && got[i] <= '9' {
				run++
			} else {
				run = 0
			}
			if run > 10 {
				t.Fatalf("MaskText(%q) = %q keeps a run of 11 digits", s, got)
			}
		}
	})
}

func TestRedact(t *testing.T) {
	card, id, name, phone := "6222021234567800002", "110105199003071239", "欧阳金丝雀", "15987654321"
	echo := `{"card_no":"` + card + `","id_no":"` + id + `","acct_name":"\u6b27\u9633\u91d1\u4e1d\u96c0","n":"` + name +
		`"} name=%E6%AC%A7%E9%98%B3%E9%87%91%E4%B8%9D%E9%9B%80 tel ` + phone + "\x00\r\n" + "\xff"
	got := llgate.Redact(echo, 0, card, id, name, phone)
	for _, leak := range []string{card, id, name, phone, `\u6b27\u9633`, "%E6%AC%A7", "\x00", "\r", "\xff"} {
		if strings.Contains(got, leak) {
			t.Errorf("Redact kept %q:\n%s", leak, got)
		}
	}
	if !strings.Contains(got, "159****4321") {
		t.Errorf("the phone is not masked as a phone: %s", got)
	}
	if got := llgate.Redact("张三李四王五", 7); got != "张三" {
		t.Errorf("cut at 7 bytes: got %q, want %q (a character boundary)", got, "张三")
	}
}

func TestMaskingHandler(t *testing.T) {
	var b strings.Builder
	log := slog.New(llgate.MaskingHandler(slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log = log.With("bind_mob", "13800138000")
	log.Debug("card_no=6222021234567800002 failed", "err", errors.New("id_no=110105199003071239"),
		"raw", []byte(`{"acct_name":"张三"}`), slog.Group("g", "note", "call 13800138000"), "n", 12)
	assertNoSecrets(t, b.String())
	if !strings.Contains(b.String(), `"n":12`) {
		t.Errorf("numbers must stay numbers: %s", b.String())
	}
}
