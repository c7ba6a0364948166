package protocol

import llgate "github.com/llgate/llgate"

// CodeInfo is one row of LianLian's return-code table.
type CodeInfo struct {
	Code        string
	Message     string // ret_msg, byte-exact Chinese
	Description string // the docs' English description
}

var codeIndex = func() map[string]int {
	m := make(map[string]int, len(codeTable))
	for i, c := range codeTable {
		m[c.Code] = i
	}
	return m
}()

// Message returns the documented ret_msg of code, or "" if it is unknown.
func Message(code string) string {
	if i, ok := codeIndex[code]; ok {
		return codeTable[i].Message
	}
	return ""
}

// RetMsg is the ret_msg to send with code. A 1004 names the field inside
// full-width parentheses, replacing the table's placeholder "（具体参数名）";
// a 1004 without a field drops the placeholder. Unknown codes get 9999's
// message, so an answer never carries an empty ret_msg.
func RetMsg(code, field string) string {
	if code == llgate.CodeBadField {
		if field == "" {
			return "商户请求参数校验错误"
		}
		return "商户请求参数校验错误（" + field + "）"
	}
	if m := Message(code); m != "" {
		return m
	}
	return Message(llgate.CodeSystem)
}

// Codes returns the whole table in the docs' order.
func Codes() []CodeInfo {
	return append([]CodeInfo(nil), codeTable...)
}
