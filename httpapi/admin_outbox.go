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
	f := llgate.NotificationFilter{
		OidPartner: q.Get("oid_partner"), NoOrder: q.Get("no_order"), NoRefund: q.Get("no_refund"),
		Limit: queryLimit(r, 100, 1000),
	}
	ctx := r.Context()
	out := []notificationOut{}
	err := s.cfg.Store.View(ctx, func(tx llgate.Tx) error {
		ns, err := tx.Notifications(ctx, f)
		if err != nil {
			return err
		}
		for _, n := range ns {
			as, err := tx.Attempts(ctx, n.ID)
			if err != nil {
				return err
			}
			out = append(out, s.notificationJSON(n, as))
		}
		return nil
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out})
}

// handleNotificationResend makes a notification due now with a fresh round
// of attempts, whatever its state.
func (s *Server) handleNotificationResend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var out notificationOut
	err := s.cfg.Store.Update(ctx, func(tx llgate.Tx) error {
		n, err := tx.Notification(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		now := s.now()
		n.Status, n.AttemptCount, n.NextAttemptAt, n.UpdatedAt = llgate.NotifyPending, 0, now, now
		if err := tx.UpdateNotification(ctx, n); err != nil {
			return err
		}
		as, err := tx.Attempts(ctx, n.ID)
		out = s.notificationJSON(n, as)
		return err
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	s.audit(r, "notification.resend", "id", out.ID, "oid_partner", out.OidPartner)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) {
	oid := r.URL.Query().Get("oid_partner")
	if oid == "" {
		writeError(w, http.StatusBadRequest, "oid_partner is required")
		return
	}
	ctx := r.Context()
	var rs []*llgate.Report
	err := s.cfg.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		rs, err = tx.Reports(ctx, oid)
		return err
	})
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
	ctx := r.Context()
	var rp *llgate.Report
	err := s.cfg.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		rp, err = tx.Report(ctx, r.PathValue("name"))
		return err
	})
	if err != nil {
		s.storeError(w, err)
		return
	}
	plain, err := s.cfg.Vault.Open(ctx, rp.OidPartner, llgate.TableReports, rp.Name, rp.Content)
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
