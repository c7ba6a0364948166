package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// authed lets a request through with a valid session (and, for a form
// post, the session's CSRF token); else it sends the browser to log in.
func (c *Console) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, ok := c.sessions.get(r)
		if !ok {
			if r.Method != http.MethodGet {
				http.Error(w, "not logged in", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !c.sessions.checkCSRF(ss, r.PostFormValue("csrf")) {
				c.cfg.Audit(r, "console.csrf_refused")
				http.Error(w, "the form is stale or was not sent by the console: reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r)
	})
}

type loginData struct {
	Next  string
	Error string
}

func (d loginData) FormError() string { return d.Error }

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.sessions.get(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", "Log in", loginData{Next: r.URL.Query().Get("next")})
}

// login takes the admin token once and gives the browser a session cookie
// (HttpOnly, SameSite=Strict, signed, 12 hours).
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := r.PostFormValue("next")
	if c.cfg.AdminToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(c.cfg.AdminToken)) != 1 {
		c.cfg.Audit(r, "console.login_failed")
		c.render(w, r, http.StatusUnauthorized, "login", "Log in", loginData{Next: next, Error: "That is not the admin token."})
		return
	}
	c.sessions.issue(w, r)
	c.cfg.Audit(r, "console.login")
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.sessions.clear(w, r)
	c.cfg.Audit(r, "console.logout")
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// safeNext keeps a redirect after login inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/console/"
	}
	return next
}
