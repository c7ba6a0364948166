package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	llgate "github.com/llgate/llgate"
)

// attempt makes one attempt at n. It returns nil when it made none: the
// lease is too short to finish one, or ctx ended; the lease goes back.
func (w *Worker) attempt(ctx context.Context, n *llgate.Notification) *llgate.Delivery {
	d, err := w.Outbox.Begin(ctx, n, w.Timeout)
	if err != nil {
		return nil
	}
	if d.Problem != "" {
		return d // the body cannot be opened: a failed attempt
	}
	w.post(ctx, d)
	if ctx.Err() != nil {
		return nil // we cut it short, not the merchant
	}
	return d
}

// post sends d's body to its URL once and notes what the receiver did.
func (w *Worker) post(ctx context.Context, d *llgate.Delivery) {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	began := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Notification.URL, bytes.NewReader(d.Body))
	if err != nil {
		d.Problem = "bad notify_url: " + unwrapURL(err).Error()
		return
	}
	ct := d.ContentType
	if ct == "" {
		ct = ContentType
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "llgate-notify")
	resp, err := w.client.Do(req)
	if err != nil {
		d.Latency = time.Since(began)
		d.Problem = w.describe(err)
		var blocked *BlockedAddressError
		d.Refused = errors.As(err, &blocked)
		return
	}
	defer resp.Body.Close()
	d.HTTPStatus = resp.StatusCode
	ans, err := io.ReadAll(io.LimitReader(resp.Body, w.MaxAnswer+1))
	d.Latency = time.Since(began)
	d.Answer = string(ans)
	if err != nil {
		d.Problem = "reading the answer: " + w.describe(err)
		return
	}
	// Let the connection be reused when the rest is short.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	d.Acked = int64(len(ans)) <= w.MaxAnswer && Ack(resp.StatusCode, ans)
}

// describe turns a transport error into the text an Attempt records.
func (w *Worker) describe(err error) string {
	err = unwrapURL(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timeout: no answer within %s", w.Timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer (" + err.Error() + ")"
	}
	return err.Error()
}

// unwrapURL drops the "Post \"url\": " prefix of client errors: the URL is
// on the notification already.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
