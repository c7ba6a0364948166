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

// Message returns the documented ret_msg of code (a pre-authorisation
// state included), or "" if it is unknown.
func Message(code string) string {
	if i, ok := codeIndex[code]; ok {
		return codeTable[i].Message
	}
	for _, s := range preauthStates {
		if s.Code == code {
			return s.Message
		}
	}
	for _, s := range payoutCodes {
		if s.Code == code {
			return s.Message
		}
	}
	return ""
}

// preauthStates are the pre-authorisation states /preauthquery.htm answers
// as ret_code (CONTRACT-easypay-payouts §4.14; 2003 and 2006 are in the
// docs' table). Not in return-codes.md: the messages are ours.
var preauthStates = []CodeInfo{
	{"PR07", "预授权成功", "Pre-authorisation succeeded"},
	{"PR08", "预授权待验证", "Pre-authorisation waiting for the SMS code"},
	{"PR09", "预授权处理中", "Pre-authorisation processing"},
	{"PR10", "预授权失败", "Pre-authorisation failed"},
	{"PR11", "预授权完成成功", "Capture succeeded"},
	{"PR12", "预授权完成处理中", "Capture processing"},
	{"PR13", "预授权完成失败", "Capture failed"},
	{"PR14", "预授权撤销成功", "Pre-authorisation cancelled"},
	{"PR15", "预授权撤销处理中", "Cancel processing"},
	{"PR16", "预授权撤销失败", "Cancel failed"},
}

// PreauthStates returns the pre-authorisation state codes with their
// messages.
func PreauthStates() []CodeInfo { return append([]CodeInfo(nil), preauthStates...) }

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

// IsPreauthState says whether code is a state /preauthquery.htm answers.
func IsPreauthState(code string) bool {
	if code == "2003" || code == "2006" {
		return true
	}
	for _, s := range preauthStates {
		if s.Code == code {
			return true
		}
	}
	return false
}

// Reason is what the request log says of a refusal: the field and the
// detail, or the code's ret_msg when the error says nothing more.
func Reason(e *llgate.Error) string {
	r := e.Detail
	if e.Field != "" {
		r = e.Field + ": " + r
	}
	if r == "" {
		r = RetMsg(e.Code, e.Field)
	}
	return r
}
