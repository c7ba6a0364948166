package httpapi

import (
	"errors"
	"net/http"
	"time"

	llgate "github.com/llgate/llgate"
)

func rfc3339(t time.Time) string { return t.In(llgate.ChinaTime).Format(time.RFC3339) }

// handleSMS lists the texts sent to one phone, newest first. The phone is
// looked up by its fingerprint and answered masked; the query string is
// never logged.
func (s *Server) handleSMS(w http.ResponseWriter, r *http.Request) {
	mobile := trimmed(r.URL.Query().Get("mobile"))
	if mobile == "" {
		writeError(w, http.StatusBadRequest, "mobile is required")
		return
	}
	msgs, err := s.cfg.Sandbox.Inbox(r.Context(), mobile, queryLimit(r, 100, 1000))
	if err != nil {
		s.storeError(w, err)
		return
	}
	type msgOut struct {
		Mobile string `json:"mobile"`
		Code   string `json:"code"`
		Text   string `json:"text"`
		SentAt string `json:"sent_at"`
	}
	out := make([]msgOut, 0, len(msgs))
	for _, m := range msgs {
		// The caller named the phone in the query; no admin answer
		// carries a phone in clear.
		out = append(out, msgOut{Mobile: llgate.MaskPhone(m.Mobile), Code: m.Code, Text: m.Text, SentAt: rfc3339(m.SentAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) handleClockGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"now": rfc3339(s.now())})
}

func (s *Server) handleClockAdvance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AdvanceSeconds *int64 `json:"advance_seconds"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	if req.AdvanceSeconds == nil || *req.AdvanceSeconds <= 0 || *req.AdvanceSeconds > int64(llgate.MaxAdvance/time.Second) {
		writeError(w, http.StatusBadRequest, "advance_seconds must be a whole number from 1 to 315360000")
		return
	}
	now, err := s.cfg.Sandbox.Advance(r.Context(), time.Duration(*req.AdvanceSeconds)*time.Second)
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.audit(r, "clock.advance", "advance_seconds", *req.AdvanceSeconds, "now", rfc3339(now))
	writeJSON(w, http.StatusOK, map[string]string{"now": rfc3339(now)})
}

func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	entries, err := s.cfg.Log.List(r.Context(), r.URL.Query().Get("oid_partner"), queryLimit(r, 100, 1000))
	if err != nil {
		s.storeError(w, err)
		return
	}
	type entryOut struct {
		At         string `json:"at"`
		Path       string `json:"path"`
		OidPartner string `json:"oid_partner"`
		RetCode    string `json:"ret_code"`
		Reason     string `json:"reason"`
	}
	out := make([]entryOut, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryOut{At: rfc3339(e.At), Path: e.Path, OidPartner: e.OidPartner, RetCode: e.RetCode, Reason: e.Reason})
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OidPartner string `json:"oid_partner"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	err := s.cfg.Sandbox.Reset(r.Context(), req.OidPartner)
	if errors.Is(err, llgate.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such merchant")
		return
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.audit(r, "reset", "oid_partner", req.OidPartner)
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset", "oid_partner": req.OidPartner})
}
