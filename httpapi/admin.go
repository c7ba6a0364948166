package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// adminAuth requires "Authorization: Bearer TOKEN".
func (s *Server) adminAuth(h http.HandlerFunc) http.Handler {
	want := []byte("Bearer " + s.cfg.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if s.cfg.AdminToken == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			s.audit(r, "admin.login_failed", "reason", authFailure(got))
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		h(w, r)
	})
}

// authFailure says why an Authorization header failed, without quoting it.
func authFailure(h []byte) string {
	switch {
	case len(h) == 0:
		return "no Authorization header"
	case !strings.HasPrefix(string(h), "Bearer "):
		return "not a Bearer token"
	}
	return "wrong token"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decodeAdmin reads a small JSON body strictly: unknown fields are errors,
// so a typo in a field name is not silently ignored.
func decodeAdmin(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// storeError maps a store or use-case error to an admin answer.
func (s *Server) storeError(w http.ResponseWriter, err error) {
	var ve *llgate.ValidationError
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusBadRequest, ve.Msg)
	case errors.Is(err, llgate.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, llgate.ErrConflict):
		writeError(w, http.StatusConflict, "already exists")
	default:
		s.cfg.Logger.Error("admin API failed", "err", err.Error())
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds /readyz's ping: a load balancer's probe must hear
// "not ready" well within its own timeout, not hang with the database.
const readyTimeout = time.Second

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Logger.Warn("store not ready", "err", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handlePlatformKey(w http.ResponseWriter, r *http.Request) {
	pub := &s.cfg.PlatformKey.PublicKey
	writeJSON(w, http.StatusOK, map[string]string{
		"public_key": protocol.MarshalPublicKeyBase64(pub),
		"pem":        protocol.MarshalPublicKeyPEM(pub),
	})
}

func queryLimit(r *http.Request, def, max int) int {
	n := def
	if v := r.URL.Query().Get("limit"); v != "" {
		var x int
		for _, c := range v {
			if c < '0' || c > '9' || x > max {
				return def
			}
			x = x*10 + int(c-'0')
		}
		n = x
	}
	if n <= 0 || n > max {
		n = max
	}
	return n
}

func trimmed(s string) string { return strings.TrimSpace(s) }
