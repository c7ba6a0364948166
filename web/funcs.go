package web

import (
	"html/template"
	"maps"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// Funcs are the helpers every page set has, with extra ones added (extra
// wins on a name both have):
//
//	when   a time as China time, "2006-01-02 15:04:05" ("" for the zero time)
//	money  an amount in fen as yuan, "12.34"
//	retmsg the documented message of a return code
func Funcs(extra template.FuncMap) template.FuncMap {
	f := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(llgate.ChinaTime).Format("2006-01-02 15:04:05")
		},
		"money":  protocol.FormatAmount,
		"retmsg": func(code string) string { return protocol.RetMsg(code, "") },
	}
	maps.Copy(f, extra)
	return f
}
