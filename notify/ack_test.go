package notify

import "testing"

func TestAck(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"llgate client", 200, `{"ret_code":"0000","ret_msg":"交易成功"}`, true},
		{"docs", 200, `{"ret_code":"0000","ret_msg":"ok"}`, true},
		{"docs pretty", 200, "{\n    \"ret_code\":\"0000\",\n    \"ret_msg\":\"ok\"\n}\n", true},
		{"classic PHP", 200, bom + bom + `{'ret_code':'0000','ret_msg':'交易成功'}`, true},
		{"single quotes", 200, `{'ret_code':'0000','ret_msg':'ok'}`, true},
		{"one BOM", 200, bom + `{"ret_code":"0000"}`, true},
		{"BOMs and spaces mixed", 200, " \r\n" + bom + " " + bom + "\t{ \"ret_code\" : \"0000\" }\n" + bom, true},
		{"ret_code last", 200, `{"ret_msg":"ok","ret_code":"0000"}`, true},
		{"extra fields", 200, `{"ret_msg":"ok","n":12,"ok":true,"x":null,"o":{"a":[1,"}"]},"ret_code":"0000"}`, true},
		{"mixed quotes", 200, `{"ret_code":'0000',"ret_msg":"ok"}`, true},
		{"ret_msg escapes", 200, `{"ret_code":"0000","ret_msg":"say \"hi\" \u4ea4"}`, true},

		{"500", 500, `{"ret_code":"0000","ret_msg":"ok"}`, false},
		{"201", 201, `{"ret_code":"0000","ret_msg":"ok"}`, false},
		{"302", 302, `{"ret_code":"0000","ret_msg":"ok"}`, false},
		{"success text", 200, `success`, false},
		{"SUCCESS text", 200, `SUCCESS`, false},
		{"empty", 200, ``, false},
		{"BOMs only", 200, bom + bom, false},
		{"empty object", 200, `{}`, false},
		{"9999", 200, `{"ret_code":"9999","ret_msg":"签名验证失败"}`, false},
		{"five zeros", 200, `{"ret_code":"00000"}`, false},
		{"three zeros", 200, `{"ret_code":"000"}`, false},
		{"padded", 200, `{"ret_code":" 0000"}`, false},
		{"in another value", 200, `{"x":"ret_code:0000"}`, false},
		{"quoted key in value", 200, `{"x":"\"ret_code\":\"0000\""}`, false},
		{"nested", 200, `{"data":{"ret_code":"0000"}}`, false},
		{"number", 200, `{"ret_code":0000}`, false},
		{"number zero", 200, `{"ret_code":0}`, false},
		{"array", 200, `[{"ret_code":"0000"}]`, false},
		{"trailing garbage", 200, `{"ret_code":"0000"}x`, false},
		{"two objects", 200, `{"ret_code":"0000"}{"ret_code":"0000"}`, false},
		{"unterminated", 200, `{"ret_code":"0000"`, false},
		{"unterminated string", 200, `{"ret_code":"0000}`, false},
		{"duplicate ret_code", 200, `{"ret_code":"0000","ret_code":"9999"}`, false},
		{"duplicate ret_code same", 200, `{"ret_code":"0000","ret_code":"0000"}`, false},
		{"case", 200, `{"RET_CODE":"0000"}`, false},
		{"escaped zeros", 200, `{"ret_code":"\u0030000"}`, false},
		{"HTML page", 200, `<html>{"ret_code":"0000"}</html>`, false},
		{"JSONP", 200, `cb({"ret_code":"0000"})`, false},
		{"missing colon", 200, `{"ret_code" "0000"}`, false},
		{"trailing comma", 200, `{"ret_code":"0000",}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ack(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("Ack(%d, %q) = %v, want %v", tt.status, tt.body, got, tt.want)
			}
		})
	}
}

func FuzzAck(f *testing.F) {
	f.Add([]byte(`{"ret_code":"0000","ret_msg":"ok"}`))
	f.Add([]byte("\xef\xbb\xbf{'ret_code':'0000'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Ack(200, b) // must not panic
	})
}
