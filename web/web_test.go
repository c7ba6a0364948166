package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/web"
)

func TestSecureHeadersAndNonce(t *testing.T) {
	var seen []string
	h := web.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, web.Nonce(r))
	}))
	var policies []string
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		hd := rec.Header()
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := hd.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		policies = append(policies, hd.Get("Content-Security-Policy"))
	}
	if len(seen[0]) < 20 || seen[0] == seen[1] {
		t.Fatalf("nonces %q: want long and fresh per response", seen)
	}
	for i, p := range policies {
		for _, want := range []string{"script-src 'nonce-" + seen[i] + "'", "default-src 'none'", "form-action 'self';",
			"frame-ancestors 'none'"} {
			if !strings.Contains(p, want) {
				t.Errorf("policy %q lacks %q", p, want)
			}
		}
	}
}

func TestSetFormActionWidensOnlyForms(t *testing.T) {
	h := web.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.SetFormAction(w, r, "https://shop.example")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	p := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(p, "form-action 'self' https://shop.example;") || !strings.Contains(p, "script-src 'nonce-") {
		t.Fatalf("policy %q", p)
	}
}

var pageFS = fstest.MapFS{
	"t/layout.html": {Data: []byte(`<body data-page="{{.Page}}">{{template "content" .}}</body>`)},
	"t/home.html":   {Data: []byte(`{{define "content"}}<b>{{.Name}}</b> {{money .Amount}} {{when .At}} {{shout .Name}}{{end}}`)},
	"t/bad.html":    {Data: []byte(`{{define "content"}}{{.Missing.Field}}{{end}}`)},
}

func TestPagesRenderEscapesAndUsesFuncs(t *testing.T) {
	p, err := web.ParsePages(pageFS, "t", web.Funcs(map[string]any{"shout": strings.ToUpper}))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	data := struct {
		Page, Name string
		Amount     llgate.Amount
		At         time.Time
	}{"home", "<x>", 1234, at}
	if err := p.Render(rec, 201, "home", data); err != nil {
		t.Fatal(err)
	}
	want := `<body data-page="home"><b>&lt;x&gt;</b> 12.34 2026-01-02 11:04:05 &lt;X&gt;</body>`
	if rec.Code != 201 || rec.Body.String() != want {
		t.Fatalf("%d %q\nwant %q", rec.Code, rec.Body.String(), want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
}

func TestPagesRenderErrorIsWhole500(t *testing.T) {
	p, err := web.ParsePages(pageFS, "t", web.Funcs(map[string]any{"shout": strings.ToUpper}))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := p.Render(rec, 200, "bad", struct{ Page string }{"bad"}); err == nil {
		t.Fatal("want an error")
	}
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "data-page") {
		t.Fatalf("%d %q: want a clean 500 and no half page", rec.Code, rec.Body.String())
	}
	if err := p.Render(httptest.NewRecorder(), 200, "nope", nil); err == nil {
		t.Fatal("unknown page: want an error")
	}
}

func TestParsePagesRefusesBadTemplate(t *testing.T) {
	fs := fstest.MapFS{"t/layout.html": {Data: []byte(`x`)}, "t/a.html": {Data: []byte(`{{if}}`)}}
	if _, err := web.ParsePages(fs, "t", web.Funcs(nil)); err == nil || !strings.Contains(err.Error(), "a") {
		t.Fatalf("err %v", err)
	}
}

func TestAssetsETag(t *testing.T) {
	h := web.Assets(fstest.MapFS{"app.css": {Data: []byte("b{}")}, "d/x.js": {Data: []byte("1")}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app.css", nil))
	etag := rec.Header().Get("ETag")
	if rec.Code != 200 || rec.Body.String() != "b{}" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || etag == "" {
		t.Fatalf("%d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	req := httptest.NewRequest("GET", "/app.css", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 304 || rec.Body.Len() != 0 {
		t.Fatalf("revalidation: %d", rec.Code)
	}
	for _, p := range []string{"/d/", "/d", "/missing.css", "/../app.css"} {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://x"+p, nil))
		if rec.Code != 404 {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}
