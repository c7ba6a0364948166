package notify

import (
	"net"
	"net/url"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
)

// How Run paces one receiver host.
const (
	// minDefer and maxDefer bound how far a deferral pushes a notification.
	minDefer = 100 * time.Millisecond
	maxDefer = 2 * time.Minute
	// hostMemory is how long an idle host's pace is remembered.
	hostMemory = time.Minute
)

// job is one claimed notification in this worker's hands.
type job struct {
	n     *llgate.Notification
	host  *host
	began time.Time        // wall time its attempt started
	ended time.Time        // and ended, before it was handed to the recorder
	d     *llgate.Delivery // the attempt; nil when none was made (the lease goes back)
}

// host is one receiver (hostKey): this worker's notifications for it and
// its pace.
type host struct {
	key      string
	inflight []*job        // oldest first
	waiting  []*job        // claimed, waiting for a slot
	latency  time.Duration // moving average of its attempts' wall time; 0: none yet
	lastDone time.Time     // wall time an attempt to it last ended
}

// done notes an ended attempt's wall time.
func (h *host) done(j *job) {
	took := j.ended.Sub(j.began)
	if h.latency == 0 {
		h.latency = took
	} else {
		h.latency = (7*h.latency + took) / 8
	}
	if j.ended.After(h.lastDone) {
		h.lastDone = j.ended
	}
}

// stalled says whether every slot of h is taken and none has freed for
// StallAfter: the receiver accepts and does not answer.
func (w *Worker) stalled(h *host, now time.Time) bool {
	return len(h.inflight) >= w.PerHost && now.Sub(h.busySince()) >= w.StallAfter
}

// busySince is the later of its oldest attempt's start and its last ended
// attempt: how long it has made no progress, when its slots are all taken.
func (h *host) busySince() time.Time {
	since := h.inflight[0].began
	if h.lastDone.After(since) {
		since = h.lastDone
	}
	return since
}

// holdCap is how many notifications may wait for a slot of h (nil: a host
// not seen yet): as many as would start within StallAfter at its pace, and
// at least PerHost, so that a host is not judged before it has answered.
func (w *Worker) holdCap(h *host) int {
	if h == nil || h.latency <= 0 {
		return w.PerHost
	}
	return max(w.PerHost, int(int64(w.PerHost)*int64(w.StallAfter)/int64(h.latency)))
}

// deferFor is how long to defer the notification at position pos of h's
// queue (0 is the first to get a slot): about when a slot frees for it.
func (w *Worker) deferFor(h *host, pos int, now time.Time) time.Duration {
	rounds := time.Duration(pos / w.PerHost)
	var wait time.Duration
	switch {
	case h != nil && len(h.inflight) > 0 && w.stalled(h, now):
		// Its slots free when their attempts time out, and the next
		// attempts may hang as long.
		wait = w.Timeout - now.Sub(h.inflight[0].began) + rounds*w.Timeout
	case h != nil && h.latency > 0:
		wait = (rounds + 1) * h.latency
	default:
		wait = (rounds + 1) * w.StallAfter
	}
	return min(max(wait, minDefer), maxDefer)
}

// hostKey is the receiver a URL names, scheme://host:port, the unit of the
// per-host limit. A URL that does not parse is its own receiver (its
// attempt fails at once anyway).
func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	scheme, h := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		default:
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(h, port)
}
