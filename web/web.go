// Package web is the foundation every llgate page stands on: the console,
// the hosted cashier and the simulated bank and wallet pages. It sets the
// headers a page carries (a Content-Security-Policy with a per-response
// nonce, no framing, no referrer, no caching), parses a set of page
// templates around one layout, renders them buffered, and serves embedded
// assets. Nothing here loads from the network and nothing needs script.
package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
)

type nonceKey struct{}

// Secure sets the headers every page carries and puts a fresh nonce for the
// page's own scripts in the request's context (Nonce reads it). The policy
// allows only this origin's styles and images, scripts carrying the nonce,
// and forms posting to this origin; SetFormAction widens the last for a page
// that posts elsewhere (a sync return to a merchant).
func Secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:]) // no + or /: html/template leaves it as is
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP(nonce))
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey{}, nonce)))
	})
}

// CSP is the policy of a page whose scripts carry nonce and whose forms may
// post to this origin and to the origins in formAction.
func CSP(nonce string, formAction ...string) string {
	fa := "'self'"
	if len(formAction) > 0 {
		fa += " " + strings.Join(formAction, " ")
	}
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action " + fa + "; base-uri 'none'; frame-ancestors 'none'"
}

// SetFormAction lets the page being written post its forms to origin as
// well (scheme://host[:port]); call it before writing the body.
func SetFormAction(w http.ResponseWriter, r *http.Request, origin string) {
	w.Header().Set("Content-Security-Policy", CSP(Nonce(r), origin))
}

// Nonce is the nonce Secure chose for this response, "" outside Secure.
func Nonce(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey{}).(string)
	return n
}
