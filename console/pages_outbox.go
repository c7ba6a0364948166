package console

import (
	"net/http"
	"net/url"
	"strconv"

	llgate "github.com/llgate/llgate"
)

// pageSize is how many rows a list page shows.
const pageSize = 50

// pager reads ?page= (from 0) and builds the links to the neighbours.
type pager struct {
	Page       int
	Prev, Next string // "" when there is none
}

func pagerOf(r *http.Request) pager {
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	return pager{Page: max(p, 0)}
}

// links sets Prev and Next, keeping the other query parameters; more says
// whether rows follow this page.
func (p *pager) links(r *http.Request, more bool) {
	q := r.URL.Query()
	link := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 0 {
		p.Prev = link(p.Page - 1)
	}
	if more {
		p.Next = link(p.Page + 1)
	}
}

type notificationsData struct {
	Merchant string
	Entries  []llgate.OutboxEntry
	Pager    pager
}

func (c *Console) notificationsPage(w http.ResponseWriter, r *http.Request) {
	d := notificationsData{Merchant: r.URL.Query().Get("oid_partner"), Pager: pagerOf(r)}
	f := llgate.NotificationFilter{OidPartner: d.Merchant, NoOrder: r.URL.Query().Get("no_order"),
		Offset: d.Pager.Page * pageSize, Limit: pageSize + 1}
	entries, err := c.cfg.Outbox.List(r.Context(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	more := len(entries) > pageSize
	if more {
		entries = entries[:pageSize]
	}
	d.Entries = entries
	d.Pager.links(r, more)
	c.render(w, r, http.StatusOK, "notifications", "Notifications", d)
}

func (c *Console) notificationPage(w http.ResponseWriter, r *http.Request) {
	e, err := c.cfg.Outbox.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "notification", "Notification "+e.Notification.ID, e)
}

func (c *Console) notificationResend(w http.ResponseWriter, r *http.Request) {
	e, err := c.cfg.Outbox.Resend(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.cfg.Audit(r, "notification.resend", "id", e.Notification.ID, "oid_partner", e.Notification.OidPartner, "via", "console")
	http.Redirect(w, r, "/console/notifications/"+url.PathEscape(e.Notification.ID)+"?done=Due+again+now.", http.StatusSeeOther)
}

type reportsData struct {
	Merchant  string
	Merchants []*llgate.Merchant
	Reports   []*llgate.Report
}

func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request) {
	d := reportsData{Merchant: r.URL.Query().Get("oid_partner")}
	var err error
	if d.Merchants, err = c.cfg.Merchants.List(r.Context()); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Merchant != "" {
		if d.Reports, err = c.cfg.Reports.List(r.Context(), d.Merchant); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	c.render(w, r, http.StatusOK, "reports", "Reports", d)
}

func (c *Console) reportDownload(w http.ResponseWriter, r *http.Request) {
	rp, plain, err := c.cfg.Reports.Open(r.Context(), r.PathValue("name"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.cfg.Audit(r, "report.download", "name", rp.Name, "oid_partner", rp.OidPartner, "via", "console")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rp.Name+`"`)
	_, _ = w.Write(plain)
}
