package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/llgate/llgate"
)

// DefaultTimeout bounds a provider request when HTTP.Client is nil.
const DefaultTimeout = 10 * time.Second

// maxErrorBody is how much of a provider's answer an error may quote.
const maxErrorBody = 200

var defaultClient = &http.Client{Timeout: DefaultTimeout}

// HTTP sends texts through a provider's HTTP API. The request body is
// BodyTemplate, a text/template executed on the llgate.SMS (fields .Mobile,
// .Code, .Text, .OidPartner) with two functions: json, which writes its
// argument as a JSON value ({{json .Text}} gives a quoted, escaped string),
// and urlquery, which query-escapes it for form bodies.
//
// Errors never contain the phone, the code or the text, nor the URL (which
// may carry an API key): a provider's refusal is a *StatusError quoting at
// most 200 bytes of its answer, masked.
type HTTP struct {
	URL          string
	Method       string      // "" = POST
	Header       http.Header // added to every request, e.g. an API key
	BodyTemplate string
	// ContentType of the body. "" = the Content-Type in Header, else
	// application/json when the body starts with '{' or '[', else
	// application/x-www-form-urlencoded.
	ContentType string
	Client      *http.Client   // nil = a client with DefaultTimeout
	OKStatus    func(int) bool // nil = any 2xx

	// tmpl is BodyTemplate parsed by NewHTTP; an HTTP built as a literal,
	// or whose BodyTemplate changed since, parses it on every Send.
	tmpl   *template.Template
	parsed string
}

var _ llgate.SMSSender = (*HTTP)(nil)

// NewHTTP returns an HTTP sender posting bodyTemplate to rawURL. It fails on
// a URL that is not absolute http or https, and on a template that does not
// parse or does not run on a sample message (a misspelt field).
func NewHTTP(rawURL, bodyTemplate string) (*HTTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not quoted: it may carry the provider's key.
		return nil, errors.New("sms: provider URL must be an absolute http or https URL")
	}
	t, err := parseBody(bodyTemplate)
	if err != nil {
		return nil, err
	}
	return &HTTP{URL: rawURL, BodyTemplate: bodyTemplate, tmpl: t, parsed: bodyTemplate}, nil
}

// Send posts m to the provider and returns nil when it answers with an OK
// status. ctx bounds the request as well as the client's timeout.
func (h *HTTP) Send(ctx context.Context, m llgate.SMS) error {
	t := h.tmpl
	if t == nil || h.parsed != h.BodyTemplate {
		var err error
		if t, err = parseBody(h.BodyTemplate); err != nil {
			return err
		}
	}
	var body bytes.Buffer
	if err := t.Execute(&body, m); err != nil {
		// Not wrapped: the original might quote a value.
		return errors.New("sms: body template: " + redact(err.Error(), m))
	}
	method := h.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return fmt.Errorf("sms: provider request: %w", withoutURL(err))
	}
	req.Header = h.Header.Clone()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	switch {
	case h.ContentType != "":
		req.Header.Set("Content-Type", h.ContentType)
	case req.Header.Get("Content-Type") == "":
		req.Header.Set("Content-Type", sniff(body.Bytes()))
	}
	client := h.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: provider request: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	ok := h.OKStatus
	if ok == nil {
		ok = func(code int) bool { return code >= 200 && code < 300 }
	}
	if !ok(resp.StatusCode) {
		return &StatusError{StatusCode: resp.StatusCode, Body: redact(string(head), m)}
	}
	return nil
}

// StatusError is a provider's answer whose status is not OK. Body is the
// start of the answer, at most 200 bytes, with the message's phone, code and
// text and every run of 11 or more digits masked.
type StatusError struct {
	StatusCode int
	Body       string
}

func (e *StatusError) Error() string {
	s := "sms: provider answered HTTP " + strconv.Itoa(e.StatusCode)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

func parseBody(src string) (*template.Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("sms: empty body template")
	}
	t, err := template.New("body").Funcs(template.FuncMap{
		"json":     jsonValue,
		"urlquery": func(args ...any) string { return url.QueryEscape(fmt.Sprint(args...)) },
	}).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("sms: body template: %w", err)
	}
	// Run it once now, so that {{.Phone}} fails at start rather than on the
	// first customer's code.
	sample := llgate.SMS{OidPartner: "201408071000001539", Mobile: "13800138000", Code: "123456", Text: llgate.SMSText(llgate.ModeGateway, "123456")}
	if err := t.Execute(io.Discard, sample); err != nil {
		return nil, fmt.Errorf("sms: body template: %w", err)
	}
	return t, nil
}

// jsonValue is the template's json function. It leaves <, > and & as they
// are: the body is not HTML.
func jsonValue(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func sniff(body []byte) string {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return "application/json; charset=utf-8"
	}
	return "application/x-www-form-urlencoded"
}

// withoutURL drops the URL a *url.Error quotes: the provider's URL may hold
// its API key.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact makes text from a provider (or a template error) fit for an error:
// the one masking policy (llgate.Redact) with the message's text, phone and
// code as the values it may echo, cut to maxErrorBody bytes.
func redact(s string, m llgate.SMS) string {
	return strings.TrimSpace(llgate.Redact(s, maxErrorBody, m.Text, m.Mobile, m.Code))
}
