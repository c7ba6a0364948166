package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Pages is a set of page templates, each parsed with one layout. A page
// file defines the layout's blocks (at least "content"); the layout file is
// named layout.html and lives beside them.
type Pages struct {
	set map[string]*template.Template
}

// ParsePages parses every *.html of dir in fsys but the layout, each with
// the layout and funcs, once, so that a template error stops the start and
// not a payer's page.
func ParsePages(fsys fs.FS, dir string, funcs template.FuncMap) (*Pages, error) {
	layout, err := fs.ReadFile(fsys, path.Join(dir, "layout.html"))
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	p := &Pages{set: make(map[string]*template.Template)}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = t.New(name).Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.set[name] = t
	}
	return p, nil
}

// Render writes page with the layout and data, buffered, so that a template
// error answers a clean 500 instead of half a page. The error is returned
// for the caller to log.
func (p *Pages) Render(w http.ResponseWriter, status int, page string, data any) error {
	return p.write(w, status, page, "layout", data)
}

// RenderBlock writes one block of a page without the layout: the fragment a
// live page fetches to update itself.
func (p *Pages) RenderBlock(w http.ResponseWriter, page, block string, data any) error {
	return p.write(w, http.StatusOK, page, block, data)
}

func (p *Pages) write(w http.ResponseWriter, status int, page, block string, data any) error {
	t, ok := p.set[page]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: no page %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, block, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: page %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}
