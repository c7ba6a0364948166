package httpapi

import (
	"net/http"
	"strconv"

	llgate "github.com/llgate/llgate"
)

type attemptOut struct {
	At         string `json:"at"`
	HTTPStatus int    `json:"http_status"`
	LatencyMS  int64  `json:"latency_ms"`
	Answer     string `json:"answer"`
}

type notificationOut struct {
	ID            string       `json:"id"`
	Kind          string       `json:"kind"`
	OidPartner    string       `json:"oid_partner"`
	NoOrder       string       `json:"no_order,omitempty"`
	NoRefund      string       `json:"no_refund,omitempty"`
	URL           string       `json:"url"`
	Status        string       `json:"status"`
	AttemptCount  int          `json:"attempt_count"`
	NextAttemptAt string       `json:"next_attempt_at,omitempty"`
	Attempts      []attemptOut `json:"attempts"`
}

func (s *Server) notificationJSON(n *llgate.Notification, attempts []*llgate.Attempt) notificationOut {
	out := notificationOut{
		ID: n.ID, Kind: n.Kind, OidPartner: n.OidPartner, NoOrder: n.NoOrder, NoRefund: n.NoRefund,
		URL: n.URL, Status: n.Status, AttemptCount: n.AttemptCount, Attempts: make([]attemptOut, 0, len(attempts)),
	}
	if n.Status == llgate.NotifyPending {
		out.NextAttemptAt = rfc3339(n.NextAttemptAt)
	}
	for _, a := range attempts {
		out.Attempts = append(out.Attempts, attemptOut{At: rfc3339(a.At), HTTPStatus: a.HTTPStatus, LatencyMS: a.LatencyMS, Answer: a.Answer})
	}
	return out
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	es, err := s.cfg.Outbox.List(r.Context(), llgate.NotificationFilter{
		OidPartner: q.Get("oid_partner"), NoOrder: q.Get("no_order"), NoRefund: q.Get("no_refund"),
		Limit: queryLimit(r, 100, 1000),
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := make([]notificationOut, 0, len(es))
	for _, e := range es {
		out = append(out, s.notificationJSON(e.Notification, e.Attempts))
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out})
}

// handleNotificationResend makes a notification due now with a fresh round
// of attempts, whatever its state.
func (s *Server) handleNotificationResend(w http.ResponseWriter, r *http.Request) {
	e, err := s.cfg.Outbox.Resend(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.audit(r, "notification.resend", "id", e.Notification.ID, "oid_partner", e.Notification.OidPartner)
	writeJSON(w, http.StatusOK, s.notificationJSON(e.Notification, e.Attempts))
}

func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) {
	oid := r.URL.Query().Get("oid_partner")
	if oid == "" {
		writeError(w, http.StatusBadRequest, "oid_partner is required")
		return
	}
	rs, err := s.cfg.Reports.List(r.Context(), oid)
	if err != nil {
		s.storeError(w, err)
		return
	}
	type reportOut struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	out := make([]reportOut, 0, len(rs))
	for _, rp := range rs {
		out = append(out, reportOut{Name: rp.Name, Size: rp.Size})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	rp, plain, err := s.cfg.Reports.Open(r.Context(), r.PathValue("name"))
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.audit(r, "report.download", "name", rp.Name, "oid_partner", rp.OidPartner)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(plain)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+rp.Name+`"`)
	_, _ = w.Write(plain)
}
