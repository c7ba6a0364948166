package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestAnswer(t *testing.T) {
	key := platformKey(t)
	pub := &key.PublicKey
	newAnswer := func() *Answer {
		return &Answer{
			Fields: map[string]string{
				"ret_code": "0000", "ret_msg": "交易成功", "oid_partner": "201408071000001539",
				"user_id": "<u&1>", "count": "1", "platform": "",
			},
			Unsigned: map[string]any{
				"agreement_list": []map[string]string{{"no_agree": "2026125486958071", "card_no": "0000"}},
			},
		}
	}

	t.Run("SignAndMarshal", func(t *testing.T) {
		a := newAnswer()
		if err := a.Sign(key, llgate.SignRSA); err != nil {
			t.Fatal(err)
		}
		if got := a.Fields["sign_type"]; got != llgate.SignRSA {
			t.Errorf("sign_type = %q", got)
		}
		b, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		wantPrefix := `{"agreement_list":[{"card_no":"0000","no_agree":"2026125486958071"}],"count":"1","oid_partner":"201408071000001539","ret_code":"0000","ret_msg":"交易成功","sign":"`
		if !strings.HasPrefix(s, wantPrefix) || !strings.HasSuffix(s, `","sign_type":"RSA","user_id":"<u&1>"}`) {
			t.Errorf("MarshalJSON:\ngot  %s\nwant %s...", s, wantPrefix)
		}
		if strings.Contains(s, "platform") {
			t.Error("empty field platform was written")
		}
		// A client decodes the answer, leaves the unsigned list out and verifies.
		o, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		src := SignSource(o, "agreement_list")
		if want := "count=1&oid_partner=201408071000001539&ret_code=0000&ret_msg=交易成功&sign_type=RSA&user_id=<u&1>"; src != want {
			t.Errorf("sign source:\ngot  %q\nwant %q", src, want)
		}
		if err := Verify(pub, o.Get("sign_type"), src, o.Get("sign")); err != nil {
			t.Errorf("Verify: %v", err)
		}
		// encoding/json reads it too.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("json.Unmarshal: %v", err)
		}
	})

	t.Run("SignTypeFromFields", func(t *testing.T) {
		a := newAnswer()
		a.Fields["sign_type"] = llgate.SignSHA256
		a.Fields["sign"] = "stale"
		if err := a.Sign(key, ""); err != nil {
			t.Fatal(err)
		}
		if err := Verify(pub, llgate.SignSHA256, SignSourceMap(a.Fields), a.Fields["sign"]); err != nil {
			t.Errorf("Verify SHA256withRSA: %v", err)
		}
	})

	t.Run("DefaultRSA", func(t *testing.T) {
		a := &Answer{}
		if err := a.Sign(key, ""); err != nil {
			t.Fatal(err)
		}
		if err := Verify(pub, llgate.SignRSA, "", a.Fields["sign"]); err != nil {
			t.Errorf("Verify: %v", err)
		}
		if b, _ := a.MarshalJSON(); !strings.HasPrefix(string(b), `{"sign":"`) {
			t.Errorf("MarshalJSON = %s", b)
		}
	})

	t.Run("ErrSignType", func(t *testing.T) {
		if err := newAnswer().Sign(key, llgate.SignMD5); err == nil {
			t.Error("Sign(MD5) succeeded; MD5 needs SignMD5 and the merchant's key")
		}
	})

	t.Run("SignMD5", func(t *testing.T) {
		a := newAnswer()
		a.SignMD5("k3y")
		if got := a.Fields["sign_type"]; got != llgate.SignMD5 {
			t.Errorf("sign_type = %q", got)
		}
		src := "count=1&oid_partner=201408071000001539&ret_code=0000&ret_msg=交易成功&sign_type=MD5&user_id=<u&1>"
		if err := VerifyMD5(src, "k3y", a.Fields["sign"]); err != nil {
			t.Errorf("VerifyMD5: %v", err)
		}
	})

	t.Run("ErrSignedAndUnsigned", func(t *testing.T) {
		a := &Answer{Fields: map[string]string{"memo": "x"}, Unsigned: map[string]any{"memo": "y"}}
		if b, err := a.MarshalJSON(); err == nil {
			t.Errorf("MarshalJSON = %s, want an error", b)
		}
	})

	t.Run("ErrUnsignedValue", func(t *testing.T) {
		a := &Answer{Unsigned: map[string]any{"c": make(chan int)}}
		if b, err := a.MarshalJSON(); err == nil {
			t.Errorf("MarshalJSON = %s, want an error", b)
		}
	})

	t.Run("NoHTMLEscape", func(t *testing.T) {
		a := &Answer{Fields: map[string]string{"url": "https://m.example/n?a=1&b=<2>"}, Unsigned: map[string]any{"memo": "<&>"}}
		b, _ := a.MarshalJSON()
		if want := `{"memo":"<&>","url":"https://m.example/n?a=1&b=<2>"}`; string(b) != want {
			t.Errorf("got %s, want %s", b, want)
		}
	})

	t.Run("MarshalViaEncodingJSON", func(t *testing.T) {
		a := &Answer{Fields: map[string]string{"b": "2", "a": "1"}}
		b, err := json.Marshal(a)
		if err != nil || string(b) != `{"a":"1","b":"2"}` {
			t.Errorf("json.Marshal = %s, %v", b, err)
		}
	})
}
