package adminclient_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llgate/llgate/internal/adminclient"
)

func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer T" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"bad admin token"}`))
			return
		}
		switch r.Method + " " + r.URL.RequestURI() {
		case "POST /admin/merchants":
			var in map[string]string
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]string{"oid_partner": in["oid_partner"]})
		case "GET /admin/platform-key":
			w.Write([]byte(`{"pem":"-----BEGIN PUBLIC KEY-----"}`))
		case "GET /admin/notifications?no_order=1":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("plain text, not JSON"))
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	c := &adminclient.Client{URL: srv.URL + "/", Token: "T"}
	ctx := t.Context()

	var out struct {
		OidPartner string `json:"oid_partner"`
	}
	if err := c.Do(ctx, http.MethodPost, "/admin/merchants", map[string]string{"oid_partner": "201"}, http.StatusCreated, &out); err != nil || out.OidPartner != "201" {
		t.Fatalf("POST: %+v, %v", out, err)
	}
	if pem, err := c.PlatformKeyPEM(ctx); err != nil || pem != "-----BEGIN PUBLIC KEY-----" {
		t.Fatalf("PlatformKeyPEM: %q, %v", pem, err)
	}
	// Another status than the one wanted: the server's error text, or the
	// start of a body that is not an error object.
	err := c.Do(ctx, http.MethodGet, "/admin/notifications?no_order=1", nil, http.StatusOK, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404: plain text, not JSON") {
		t.Errorf("404: %v", err)
	}
	bad := &adminclient.Client{URL: srv.URL, Token: "wrong"}
	if _, err := bad.PlatformKeyPEM(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 401: bad admin token") {
		t.Errorf("wrong token: %v", err)
	}
}
