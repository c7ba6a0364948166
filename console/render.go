package console

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/web"
)

// funcs are the console's template helpers beside web's.
var funcs = web.Funcs(template.FuncMap{
	"join": strings.Join,
	"dec":  func(n int) int { return n - 1 },
	"list": func(s ...string) []string { return s },
})

// view is what every page template gets: the page's own data in Data.
type view struct {
	Page    string // <body data-page>
	Title   string
	Nonce   string
	CSRF    string
	Sandbox bool
	// Checkouts: the Checkouts page exists (sandbox, cashier wired).
	Checkouts bool
	Mode      llgate.Mode
	Now       time.Time
	Flash     string // a one-line result of the last action
	Error     string
	Data      any
}

// render writes a page with the layout, buffered, so a template error is a
// clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	v := view{Page: page, Title: title, Nonce: web.Nonce(r), Sandbox: c.sandbox(), Mode: c.cfg.Mode,
		Checkouts: c.sandbox() && c.cfg.Checkouts != nil,
		Now:       c.cfg.Clock.Now(), Flash: r.URL.Query().Get("done"), Data: data}
	if ss, ok := c.sessions.get(r); ok {
		v.CSRF = c.sessions.csrf(ss)
	}
	if e, ok := data.(interface{ FormError() string }); ok {
		v.Error = e.FormError()
	}
	if err := c.pages.Render(w, status, page, v); err != nil {
		c.cfg.Logger.Error("console: render", "page", page, "err", err)
	}
}

// renderBlock writes one block of a page's template without the layout:
// the fragment a live page fetches to update itself.
func (c *Console) renderBlock(w http.ResponseWriter, r *http.Request, page, block string, data any) {
	if err := c.pages.RenderBlock(w, page, block, view{Page: page, Data: data}); err != nil {
		c.cfg.Logger.Error("console: render", "page", page, "block", block, "err", err)
	}
}

// fail renders an error page for a use case's error.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "something went wrong; the operator's log says what"
	var ve *llgate.ValidationError
	switch {
	case errors.Is(err, llgate.ErrNotFound):
		status, msg = http.StatusNotFound, "not found"
	case errors.As(err, &ve):
		status, msg = http.StatusBadRequest, ve.Msg
	default:
		c.cfg.Logger.Error("console", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, status, "error", "Error", errorData{Status: status, Message: msg})
}

type errorData struct {
	Status  int
	Message string
}
