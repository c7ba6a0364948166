package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"
)

// cookieName is the console's session cookie.
const cookieName = "llgate_console"

// sessionLife is how long a login lasts.
const sessionLife = 12 * time.Hour

// sessions signs and checks session cookies. The key comes from the admin
// token, so changing the token ends every session.
type sessions struct {
	key []byte
	now func() time.Time
}

func newSessions(adminToken string, now func() time.Time) *sessions {
	m := hmac.New(sha256.New, []byte(adminToken))
	m.Write([]byte("llgate console session v1"))
	return &sessions{key: m.Sum(nil), now: now}
}

// session is a verified cookie: its id (random) and expiry.
type session struct {
	id      []byte
	expires time.Time
}

func (s *sessions) mac(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// issue sets a new session cookie.
func (s *sessions) issue(w http.ResponseWriter, r *http.Request) {
	id := make([]byte, 16)
	rand.Read(id)
	exp := make([]byte, 8)
	expires := s.now().Add(sessionLife)
	binary.BigEndian.PutUint64(exp, uint64(expires.Unix()))
	raw := append(append(append([]byte(nil), exp...), id...), s.mac([]byte("session"), exp, id)...)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/",
		Expires: expires, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// clear ends the session in the browser.
func (s *sessions) clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// get returns the request's valid session.
func (s *sessions) get(r *http.Request) (session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != 8+16+32 {
		return session{}, false
	}
	exp, id, sig := raw[:8], raw[8:24], raw[24:]
	if subtle.ConstantTimeCompare(sig, s.mac([]byte("session"), exp, id)) != 1 {
		return session{}, false
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(exp)), 0)
	if !s.now().Before(expires) {
		return session{}, false
	}
	return session{id: id, expires: expires}, true
}

// csrf is the token every state-changing form of this session carries.
func (s *sessions) csrf(ss session) string {
	return base64.RawURLEncoding.EncodeToString(s.mac([]byte("csrf"), ss.id))
}

// checkCSRF compares a form's token with the session's.
func (s *sessions) checkCSRF(ss session, token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf(ss))) == 1
}
