package llgate

import (
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestPersonalValues(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`{"acct_name":"张三","card_no":"6222020200112233445","no_order":"o-1"}`, []string{"6222020200112233445", "张三"}},
		{`{"acct_name":"\u5f20\u4e09","info_order":"say \"hi\" 张三"}`, []string{`say "hi" 张三`, "张三"}},
		{`{ "id_no" : "110105199003071239" }`, []string{"110105199003071239"}}, // spaces: encoding/json
		{`{"id_no":"110105199003071239","n":1}`, []string{"110105199003071239"}},
		{`{"risk_item":{"user_info_name":"x"}}`, nil},
		{`{}`, nil},
		{`not json`, nil},
		{`{"card_no":""}`, nil},
	}
	for _, tt := range tests {
		if got := personalValues([]byte(tt.body)); !slices.Equal(got, tt.want) {
			t.Errorf("personalValues(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// FuzzFlatStrings: whatever flatStrings accepts, encoding/json reads the
// same way.
func FuzzFlatStrings(f *testing.F) {
	f.Add(`{"a":"b","card_no":"6222\"020\\u5f20"}`)
	f.Add(`{"a":"\u5f20\ud83d\ude00"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, s string) {
		fields, ok := flatStrings([]byte(s))
		if !ok || !utf8.ValidString(s) {
			return
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("flatStrings accepted %q, encoding/json: %v", s, err)
		}
		for _, f := range fields {
			if m[f[0]] != f[1] && len(m) == len(fields) {
				t.Fatalf("%q: %s = %q, encoding/json %q", s, f[0], f[1], m[f[0]])
			}
		}
	})
}
