package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/golive"
	"github.com/llgate/llgate/protocol"
)

func (c *Console) requestsPage(w http.ResponseWriter, r *http.Request) {
	q, p := listQuery(r)
	rows, more, err := c.cfg.Log.Page(r.Context(), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.links(r, more)
	c.render(w, r, http.StatusOK, "requests", "Requests", listData[*llgate.RequestLogEntry]{Merchant: q.OidPartner, Rows: rows, Pager: p})
}

type requestData struct {
	Entry  *llgate.RequestLogEntry
	Detail *llgate.RequestDetail
	Pasted string
	Diff   *llgate.SignDiff
	Before string // the pasted source's fields before the one that differs
	At     string // the field (k=v) holding the first differing byte
	After  string // the fields after it
}

// requestPage shows one request, decoded and masked; posted with a sign
// source, it runs the signature doctor's comparison.
func (c *Console) requestPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, llgate.ErrNotFound)
		return
	}
	e, d, err := c.cfg.Log.Get(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if d == nil {
		d = &llgate.RequestDetail{} // a line without detail (the hosted cashier keeps no form)
	}
	v := requestData{Entry: e, Detail: d}
	if r.Method == http.MethodPost && d.Sign != nil {
		v.Pasted = strings.TrimRight(r.PostFormValue("source"), "\r\n")
		diff := c.cfg.Log.Compare(d.Sign, v.Pasted)
		v.Diff = &diff
		if !diff.Same && diff.Offset <= len(v.Pasted) {
			v.Before, v.At, v.After = markField(v.Pasted, diff.Offset)
		}
		v.Pasted = llgate.MaskText(v.Pasted)
	}
	c.render(w, r, http.StatusOK, "request", "Request", v)
}

// markField splits a pasted sign source around the k=v field holding byte
// offset, each part masked on its own. The parts are whole fields: a part
// cut inside a key would hide the key from the mask and show its value.
func markField(src string, offset int) (before, at, after string) {
	start := strings.LastIndexByte(src[:offset], '&') + 1
	end := len(src)
	if i := strings.IndexByte(src[offset:], '&'); i >= 0 {
		end = offset + i
	}
	return llgate.MaskText(src[:start]), llgate.MaskText(src[start:end]), llgate.MaskText(src[end:])
}

type coverageData struct {
	Merchant  string
	Merchants []*llgate.Merchant
	Endpoints []coverageEndpoint
	GoLive    bool           // the go-live button is offered
	NotifyURL string         // the last notify URL checked
	Report    *golive.Report // the go-live check just run
	Error     string
}

func (d *coverageData) FormError() string { return d.Error }

type coverageEndpoint struct {
	Endpoint *protocol.Endpoint
	Calls    int
	Codes    []coverageCode
	Met      int
}

type coverageCode struct {
	Code, Message, How string
	Count              int
	Last               string
}

// coveragePage shows, for one merchant, every return code of the endpoints
// it called: met (how often, when last) or never met, with how to meet it.
func (c *Console) coveragePage(w http.ResponseWriter, r *http.Request) {
	d := &coverageData{Merchant: r.URL.Query().Get("oid_partner")}
	c.renderCoverage(w, r, d)
}

func (c *Console) renderCoverage(w http.ResponseWriter, r *http.Request, d *coverageData) {
	d.GoLive = c.cfg.GoLive != nil
	var err error
	if d.Merchants, err = c.cfg.Merchants.List(r.Context()); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Merchant != "" {
		counts, err := c.cfg.Log.Codes(r.Context(), d.Merchant)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Endpoints = coverage(counts)
	}
	c.render(w, r, http.StatusOK, "coverage", "Coverage", d)
}

// goliveRun runs the go-live check against the notify URL the operator
// typed (only that address is called) and shows its report above the
// merchant's coverage.
func (c *Console) goliveRun(w http.ResponseWriter, r *http.Request) {
	d := &coverageData{Merchant: r.PostFormValue("oid_partner"), NotifyURL: strings.TrimSpace(r.PostFormValue("notify_url"))}
	if c.cfg.GoLive == nil {
		c.fail(w, r, llgate.ErrNotFound)
		return
	}
	rep, err := c.cfg.GoLive(r.Context(), d.Merchant, d.NotifyURL)
	var ve *llgate.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Error = ve.Msg
	case errors.Is(err, llgate.ErrNotFound):
		d.Error = "no merchant " + d.Merchant
	case err != nil:
		d.Error = "The check could not run: " + err.Error()
	default:
		d.Report = rep
		c.cfg.Audit(r, "golive.run", "oid_partner", d.Merchant, "pass", rep.Pass, "via", "console")
	}
	c.renderCoverage(w, r, d)
}

// coverage joins the request log's counts with the codes each endpoint can
// answer (the endpoint table).
func coverage(counts []llgate.CodeCount) []coverageEndpoint {
	byPath := map[string]map[string]llgate.CodeCount{}
	for _, cc := range counts {
		if byPath[cc.Path] == nil {
			byPath[cc.Path] = map[string]llgate.CodeCount{}
		}
		byPath[cc.Path][cc.RetCode] = cc
	}
	var out []coverageEndpoint
	for _, e := range protocol.Endpoints {
		seen := byPath[e.Path]
		if len(seen) == 0 {
			continue
		}
		ce := coverageEndpoint{Endpoint: e}
		for _, t := range protocol.CodesOf(e) {
			cc := seen[t.Code]
			row := coverageCode{Code: t.Code, Message: protocol.RetMsg(t.Code, ""), How: t.How, Count: cc.Count}
			if cc.Count > 0 {
				row.Last = cc.Last.In(llgate.ChinaTime).Format("2006-01-02 15:04:05")
				ce.Met++
			}
			ce.Calls += cc.Count
			ce.Codes = append(ce.Codes, row)
		}
		out = append(out, ce)
	}
	return out
}
