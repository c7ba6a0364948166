package console

import (
	"net/http"
	"strconv"
	"strings"

	llgate "github.com/llgate/llgate"
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
	Before string // the pasted source up to the first differing byte
	At     string // the differing byte
	After  string
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
	v := requestData{Entry: e, Detail: d}
	if r.Method == http.MethodPost && d.Sign != nil {
		v.Pasted = strings.TrimRight(r.PostFormValue("source"), "\r\n")
		diff := c.cfg.Log.Compare(d.Sign, v.Pasted)
		v.Diff = &diff
		if !diff.Same && diff.Offset <= len(v.Pasted) {
			// Shown masked, like everything else on the page.
			v.Before = llgate.MaskText(v.Pasted[:diff.Offset])
			if diff.Offset < len(v.Pasted) {
				v.At, v.After = llgate.MaskText(v.Pasted[diff.Offset:diff.Offset+1]), llgate.MaskText(v.Pasted[diff.Offset+1:])
			}
		}
		v.Pasted = llgate.MaskText(v.Pasted)
	}
	c.render(w, r, http.StatusOK, "request", "Request", v)
}

type coverageData struct {
	Merchant  string
	Merchants []*llgate.Merchant
	Endpoints []coverageEndpoint
}

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
	d := coverageData{Merchant: r.URL.Query().Get("oid_partner")}
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
