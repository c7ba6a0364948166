package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/sms"
)

var msgA = llgate.SMS{OidPartner: oidA, Mobile: mobileA, Code: "583920", Text: llgate.SMSText(llgate.ModeSandbox, "583920")}

// request is what the fake provider received.
type request struct {
	method string
	header http.Header
	body   string
}

// provider starts a fake SMS provider answering status and answer, and
// returns its URL and the requests it receives.
func provider(t *testing.T, status int, answer string) (string, <-chan request) {
	t.Helper()
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("provider: %v", err)
		}
		got <- request{method: r.Method, header: r.Header, body: string(b)}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func mustHTTP(t *testing.T, u, tmpl string) *sms.HTTP {
	t.Helper()
	h, err := sms.NewHTTP(u, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHTTP_JSON(t *testing.T) {
	u, got := provider(t, http.StatusOK, `{"ok":true}`)
	h := mustHTTP(t, u+"/send", `{"to":{{json .Mobile}},"text":{{json .Text}},"merchant":{{json .OidPartner}}}`)
	h.Header = http.Header{"X-Api-Key": {"k-3f9a"}}
	if err := h.Send(t.Context(), msgA); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if got, want := r.method, http.MethodPost; got != want {
		t.Errorf("method = %q, want %q", got, want)
	}
	if got, want := r.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := r.header.Get("X-Api-Key"), "k-3f9a"; got != want {
		t.Errorf("X-Api-Key = %q, want %q", got, want)
	}
	var body struct{ To, Text, Merchant string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if got, want := body.To, msgA.Mobile; got != want {
		t.Errorf("to = %q, want %q", got, want)
	}
	if got, want := body.Text, msgA.Text; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := body.Merchant, msgA.OidPartner; got != want {
		t.Errorf("merchant = %q, want %q", got, want)
	}
}

func TestHTTP_JSONEscapes(t *testing.T) {
	u, got := provider(t, http.StatusOK, "")
	h := mustHTTP(t, u, `{"text":{{json .Text}}}`)
	m := msgA
	m.Text = "a \"quoted\" <b>&\n\\ line"
	if err := h.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	var body struct{ Text string }
	r := <-got
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if got, want := body.Text, m.Text; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestHTTP_Form(t *testing.T) {
	u, got := provider(t, http.StatusOK, "0,ok")
	h := mustHTTP(t, u, `apikey=k-3f9a&mobile={{urlquery .Mobile}}&content={{urlquery .Text}}`)
	if err := h.Send(t.Context(), msgA); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if got, want := r.header.Get("Content-Type"), "application/x-www-form-urlencoded"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	form, err := url.ParseQuery(r.body)
	if err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	for key, want := range map[string]string{"apikey": "k-3f9a", "mobile": msgA.Mobile, "content": msgA.Text} {
		if got := form.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestHTTP_MethodAndContentType(t *testing.T) {
	u, got := provider(t, http.StatusAccepted, "")
	h := mustHTTP(t, u, `<sms><to>{{.Mobile}}</to></sms>`)
	h.Method = http.MethodPut
	h.ContentType = "application/xml"
	if err := h.Send(t.Context(), msgA); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if got, want := r.method, http.MethodPut; got != want {
		t.Errorf("method = %q, want %q", got, want)
	}
	if got, want := r.header.Get("Content-Type"), "application/xml"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
}

func TestHTTP_Literal(t *testing.T) {
	// An HTTP built without NewHTTP parses its template on each Send.
	u, got := provider(t, http.StatusOK, "")
	h := &sms.HTTP{URL: u, BodyTemplate: `to={{urlquery .Mobile}}`, Header: http.Header{"Content-Type": {"text/plain"}}}
	if err := h.Send(t.Context(), msgA); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if got, want := r.body, "to="+msgA.Mobile; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	if got, want := r.header.Get("Content-Type"), "text/plain"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
}

func TestHTTP_ErrStatus(t *testing.T) {
	u, _ := provider(t, http.StatusInternalServerError, "internal error")
	err := mustHTTP(t, u, `{"to":{{json .Mobile}},"text":{{json .Text}}}`).Send(t.Context(), msgA)
	var se *sms.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *sms.StatusError", err)
	}
	if got, want := se.StatusCode, http.StatusInternalServerError; got != want {
		t.Errorf("StatusCode = %d, want %d", got, want)
	}
	if got, want := err.Error(), "sms: provider answered HTTP 500: internal error"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	assertClean(t, err.Error(), msgA)
}

func TestHTTP_ErrOKStatus(t *testing.T) {
	u, _ := provider(t, http.StatusOK, "")
	h := mustHTTP(t, u, `{{json .Mobile}}`)
	h.OKStatus = func(code int) bool { return code == http.StatusCreated }
	var se *sms.StatusError
	if err := h.Send(t.Context(), msgA); !errors.As(err, &se) || se.StatusCode != http.StatusOK {
		t.Fatalf("got %v, want a *sms.StatusError for 200", err)
	}
}

func TestHTTP_ErrEchoMasked(t *testing.T) {
	answer := `{"error":"bad number 13800138000 (+8613800138000)","request":{"text":"` + msgA.Text +
		`","code":"583920","mobile":"13800138000"},"other":"13700001111","padding":"` + strings.Repeat("x", 500) + `"}`
	u, _ := provider(t, http.StatusBadRequest, answer)
	err := mustHTTP(t, u, `{"to":{{json .Mobile}},"text":{{json .Text}}}`).Send(t.Context(), msgA)
	var se *sms.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *sms.StatusError", err)
	}
	assertClean(t, err.Error(), msgA)
	if got, want := len(se.Body), 200; got > want {
		t.Errorf("quoted %d bytes of the answer, want at most %d", got, want)
	}
	if !strings.Contains(se.Body, "bad number 138****8000") {
		t.Errorf("Body = %q, want the masked phone", se.Body)
	}
}

func TestHTTP_ErrBinaryEcho(t *testing.T) {
	// Invalid UTF-8 and control characters from a provider stay out of logs.
	u, _ := provider(t, http.StatusBadGateway, "bad\xff\x00gate\r\nway")
	var se *sms.StatusError
	if err := mustHTTP(t, u, `{{json .Mobile}}`).Send(t.Context(), msgA); !errors.As(err, &se) {
		t.Fatalf("got %v, want a *sms.StatusError", err)
	}
	if got, want := se.Body, "bad\uFFFD gate  way"; got != want {
		t.Errorf("Body = %q, want %q", got, want)
	}
}

// hanging starts a provider that never answers and reports each request
// it receives on the returned channel.
func hanging(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	return srv.URL, arrived
}

func TestHTTP_ErrCanceled(t *testing.T) {
	u, arrived := hanging(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-arrived:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := mustHTTP(t, u+"?key=secret-key", `{{json .Mobile}}`).Send(ctx, msgA)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	assertClean(t, err.Error(), msgA)
	if strings.Contains(err.Error(), "secret-key") {
		t.Errorf("error %q quotes the provider URL", err)
	}
}

func TestHTTP_ErrTimeout(t *testing.T) {
	u, _ := hanging(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := mustHTTP(t, u, `{{json .Mobile}}`).Send(ctx, msgA)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	assertClean(t, err.Error(), msgA)
}

func TestHTTP_ErrUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/send?key=secret-key"
	srv.Close()
	err := mustHTTP(t, u, `{{json .Mobile}}`).Send(t.Context(), msgA)
	if err == nil {
		t.Fatal("got nil error from a closed provider")
	}
	if strings.Contains(err.Error(), "secret-key") {
		t.Errorf("error %q quotes the provider URL", err)
	}
	assertClean(t, err.Error(), msgA)
}

func TestNewHTTP_Err(t *testing.T) {
	for name, tc := range map[string]struct{ url, tmpl string }{
		"BadTemplate":  {"https://sms.example.com/send", `{"to":{{json .Mobile}`},
		"UnknownField": {"https://sms.example.com/send", `{"to":{{json .Phone}}}`},
		"UnknownFunc":  {"https://sms.example.com/send", `{"to":{{base64 .Mobile}}}`},
		"EmptyBody":    {"https://sms.example.com/send", " "},
		"NoScheme":     {"sms.example.com/send", `{{json .Mobile}}`},
		"BadScheme":    {"ftp://sms.example.com/send", `{{json .Mobile}}`},
		"NoHost":       {"https:///send", `{{json .Mobile}}`},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := sms.NewHTTP(tc.url, tc.tmpl)
			if err == nil {
				t.Fatal("got nil error")
			}
			if h != nil {
				t.Errorf("got %v with the error, want nil", h)
			}
		})
	}
}

func TestHTTP_ErrTemplateAtSend(t *testing.T) {
	// A literal whose template cannot run is refused without quoting data.
	h := &sms.HTTP{URL: "http://127.0.0.1:1", BodyTemplate: `{{index .Mobile 99}}`}
	err := h.Send(t.Context(), msgA)
	if err == nil {
		t.Fatal("got nil error")
	}
	assertClean(t, err.Error(), msgA)
}
