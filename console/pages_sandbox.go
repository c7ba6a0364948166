package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
)

type smsData struct {
	Watch    string // the phone's key: the page never holds the phone itself
	Masked   string
	Messages []smsRow
	Fragment bool
}

type smsRow struct {
	Mobile, Code, Text, OidPartner string
	SentAt                         time.Time
}

// smsWatch takes a phone number from the form (a POST, so it is never in a
// URL or a log) and shows its inbox under the phone's key.
func (c *Console) smsWatch(w http.ResponseWriter, r *http.Request) {
	mobile := strings.TrimSpace(r.PostFormValue("mobile"))
	if mobile == "" {
		http.Redirect(w, r, "/console/sms", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/sms?watch="+url.QueryEscape(c.cfg.Sandbox.PhoneKey(mobile)), http.StatusSeeOther)
}

func (c *Console) smsPage(w http.ResponseWriter, r *http.Request) {
	d := smsData{Watch: r.URL.Query().Get("watch"), Fragment: r.URL.Query().Get("fragment") == "1"}
	if d.Watch != "" {
		msgs, err := c.cfg.Sandbox.InboxOf(r.Context(), d.Watch, 100)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, m := range msgs {
			d.Messages = append(d.Messages, smsRow{Mobile: llgate.MaskPhone(m.Mobile), Code: m.Code, Text: m.Text,
				OidPartner: m.OidPartner, SentAt: m.SentAt})
		}
		if len(d.Messages) > 0 {
			d.Masked = d.Messages[0].Mobile
		}
	}
	if d.Fragment {
		c.renderBlock(w, r, "sms", "rows", d)
		return
	}
	c.render(w, r, http.StatusOK, "sms", "SMS inbox", d)
}

// streamLife bounds one live-update stream.
const streamLife = 30 * time.Second

// smsEvents streams a message whenever a new text reaches the watched phone,
// so the page updates live (EventSource). It looks every 300 ms: a text
// another replica sent counts too.
func (c *Console) smsEvents(w http.ResponseWriter, r *http.Request) {
	watch := r.URL.Query().Get("watch")
	fl, ok := w.(http.Flusher)
	if watch == "" || !ok {
		http.Error(w, "watch a phone first", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()
	latest := func() time.Time {
		msgs, err := c.cfg.Sandbox.InboxOf(r.Context(), watch, 1)
		if err != nil || len(msgs) == 0 {
			return time.Time{}
		}
		return msgs[0].SentAt
	}
	seen := latest()
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	// A stream ends after a while and the browser reconnects (retry), so
	// no stream holds a server's shutdown, or a connection, for long.
	end := time.NewTimer(streamLife)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			return
		case <-tick.C:
		}
		if t := latest(); t.After(seen) {
			seen = t
			fmt.Fprintf(w, "data: %d\n\n", t.UnixMilli())
			fl.Flush()
		}
	}
}

type clockData struct {
	Now     time.Time
	Next9   time.Duration // to the next 09:00 China time (the report run)
	Advance []clockStep
}

type clockStep struct {
	Label   string
	Seconds int64
}

func (c *Console) clockPage(w http.ResponseWriter, r *http.Request) {
	now := c.cfg.Clock.Now()
	china := now.In(llgate.ChinaTime)
	next := time.Date(china.Year(), china.Month(), china.Day(), 9, 0, 0, 0, llgate.ChinaTime)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	d := clockData{Now: now, Next9: next.Sub(now), Advance: []clockStep{
		{"+1 minute", 60}, {"+5 minutes", 300}, {"+1 hour", 3600}, {"+1 day", 86400},
		{"to the next 09:00 (reports)", int64(next.Sub(now).Round(time.Second) / time.Second)},
	}}
	c.render(w, r, http.StatusOK, "clock", "Clock", d)
}

func (c *Console) clockAdvance(w http.ResponseWriter, r *http.Request) {
	var secs int64
	if _, err := fmt.Sscan(r.PostFormValue("seconds"), &secs); err != nil || secs <= 0 {
		c.fail(w, r, &llgate.ValidationError{Msg: "seconds must be a positive whole number"})
		return
	}
	now, err := c.cfg.Sandbox.Advance(r.Context(), time.Duration(secs)*time.Second)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.cfg.Audit(r, "clock.advance", "advance_seconds", secs, "via", "console")
	done := "The clock now reads " + now.In(llgate.ChinaTime).Format("2006-01-02 15:04:05") + " (China time)."
	http.Redirect(w, r, "/console/clock?done="+url.QueryEscape(done), http.StatusSeeOther)
}
