package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"time"
)

// audit writes the audit log: one structured line (msg "audit") per admin
// action and per failed admin login, saying who (the client address, as
// --trusted-proxies resolves it), what (action and its subject) and when
// (wall time, UTC). It never carries a key, token or secret: a merchant
// change lists the names of the fields that changed, not their values.
func (s *Server) audit(r *http.Request, action string, attrs ...any) {
	args := append([]any{
		"action", action, "by", s.clientAddr(r).String(), "at", time.Now().UTC().Format(time.RFC3339Nano),
		"method", r.Method, "path", r.URL.Path,
	}, attrs...)
	s.cfg.Logger.Info("audit", args...)
}

// changedFields names the fields of the merchant object that differ between
// before and after (timestamps aside).
func changedFields(before, after merchantOut, md5Set bool) []string {
	var b, a map[string]any
	for _, x := range []struct {
		from any
		to   *map[string]any
	}{{before, &b}, {after, &a}} {
		raw, _ := json.Marshal(x.from)
		_ = json.Unmarshal(raw, x.to)
	}
	var out []string
	for k, v := range a {
		if k == "created_at" || k == "updated_at" {
			continue
		}
		if !reflect.DeepEqual(b[k], v) {
			out = append(out, k)
		}
	}
	if md5Set && !slices.Contains(out, "md5_key") {
		out = append(out, "md5_key") // a new key looks like the old one: "********"
	}
	slices.Sort(out)
	return out
}
