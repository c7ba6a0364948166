package notify

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// Listener answer modes.
const (
	AnswerOK    = "ok"    // acknowledge
	AnswerError = "error" // HTTP 500
	AnswerSlow  = "slow"  // wait Slow (or until the request ends), then acknowledge
	AnswerNone  = "none"  // close the connection without answering
)

// Acknowledgement is the answer a receiver gives to stop the retries.
const Acknowledgement = `{"ret_code":"0000","ret_msg":"交易成功"}`

// maxNotification caps the body a Listener reads; real ones are under 2 KiB.
const maxNotification = 64 << 10

// Listener is a merchant's notify_url for trying llgate out (`llgate notify
// listen`): it verifies each notification with the platform public key,
// writes one line about it to Out (personal data masked), and answers the
// way Mode says. A notification that does not verify is never acknowledged:
// it gets {"ret_code":"9999",...}, as a careful merchant would answer.
type Listener struct {
	Key  *rsa.PublicKey
	Out  io.Writer
	Mode string        // AnswerOK (default), AnswerError, AnswerSlow or AnswerNone
	Slow time.Duration // AnswerSlow's wait; default 10 s
	Now  func() time.Time

	mu sync.Mutex // one line at a time on Out
}

func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	verdict, fields := "", ""
	switch {
	case err != nil:
		verdict, fields = "BAD BODY", err.Error()
	default:
		verdict, fields = l.check(body)
	}
	l.printf("%s %s %s %s ct=%q %s\n", l.now().Format(time.RFC3339), verdict, r.Method, r.URL.Path,
		r.Header.Get("Content-Type"), fields)

	if verdict != "VERIFIED" {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		_, _ = io.WriteString(w, `{"ret_code":"9999","ret_msg":"notification rejected: `+strings.ToLower(verdict)+`"}`)
		return
	}
	switch l.Mode {
	case AnswerError:
		http.Error(w, "receiver error (llgate notify listen --answer error)", http.StatusInternalServerError)
		return
	case AnswerNone:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, "cannot hijack", http.StatusInternalServerError)
			return
		}
		_ = conn.Close()
		return
	case AnswerSlow:
		d := l.Slow
		if d <= 0 {
			d = 10 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_, _ = io.WriteString(w, Acknowledgement)
}

// check verifies a body and describes it: the verdict and its fields as
// key=value pairs, sorted, sign left out, personal data masked.
func (l *Listener) check(body []byte) (verdict, fields string) {
	obj, err := protocol.Decode(body)
	if err != nil {
		return "BAD BODY", err.Error()
	}
	keys := obj.Keys()
	slices.Sort(keys)
	var b strings.Builder
	kind := "payment"
	if obj.Has("no_refund") {
		kind = "refund"
	}
	b.WriteString("kind=" + kind)
	for _, k := range keys {
		if k == "sign" {
			continue
		}
		v := obj.Get(k)
		pair := llgate.MaskText(k + "=" + v)
		if strings.ContainsAny(pair, " \t\"") {
			_, masked, _ := strings.Cut(pair, "=")
			pair = k + "=" + strconv.Quote(masked)
		}
		b.WriteString(" " + pair)
	}
	sig, signType := obj.Get("sign"), obj.Get("sign_type")
	switch {
	case l.Key == nil:
		return "UNVERIFIED (no platform key)", b.String()
	case sig == "":
		return "BAD SIGNATURE (no sign)", b.String()
	}
	switch err := protocol.Verify(l.Key, signType, protocol.SignSource(obj), sig); {
	case errors.Is(err, protocol.ErrSignType):
		return "BAD SIGNATURE (sign_type " + strconv.Quote(signType) + ")", b.String()
	case err != nil:
		return "BAD SIGNATURE", b.String()
	}
	return "VERIFIED", b.String()
}

func (l *Listener) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Out != nil {
		fmt.Fprintf(l.Out, format, args...)
	}
}

func (l *Listener) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
