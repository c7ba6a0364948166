// Package golive is the go-live check of a merchant's notification receiver
// (`llgate golive`, the button on the console's coverage page). It sends the
// merchant's notify URL four payment notifications, each as llgate's
// notifier sends one:
//
//	a. a correctly signed one, which must be acknowledged;
//	b. the same with a wrong signature (another key's, as long), which must not;
//	c. a with money_order changed after signing, which must not;
//	d. a again, byte for byte (a retry), which must be acknowledged again.
//
// A receiver that acknowledges a forged notification is the most common
// integration bug. The check calls only the URL it is given, through the
// transport it is given: in gateway mode, the gateway's, which refuses
// loopback, private and link-local addresses.
package golive

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// Checker is one merchant's check. Set the fields, then call Run; a Checker
// may run any number of times.
type Checker struct {
	// PlatformKey signs the notifications (notify.Signer), as llgate
	// signs real ones: the receiver verifies them with its public half.
	PlatformKey *rsa.PrivateKey
	OidPartner  string
	// ExtraFields adds id_type, id_no, acct_name and card_no (a test
	// cardholder's), as for merchants with notify_extra_fields.
	ExtraFields bool
	SignType    string // RSA (the default) or SHA256withRSA
	URL         string // the receiver; nothing else is called
	// Transport sends the POSTs. nil: notify.NewTransport(true, false),
	// the gateway's, which refuses private addresses. The sandbox passes
	// notify.NewTransport(false, true).
	Transport http.RoundTripper
	Clock     llgate.Clock  // dt_order, settle_date, the made-up no_order; nil: wall time
	Timeout   time.Duration // per POST; default notify.DefaultTimeout (5 s)
	// NoOrder and MoneyOrder replace the made-up order (GOLIVE-<time>,
	// 0.01), for a receiver that refuses notifications of orders it does
	// not know.
	NoOrder, MoneyOrder string
	// ForgeKey signs b; nil: a new key as long as PlatformKey.
	ForgeKey *rsa.PrivateKey
}

// Report is the outcome of a check.
type Report struct {
	OidPartner string    `json:"oid_partner"`
	URL        string    `json:"notify_url"`
	NoOrder    string    `json:"no_order"`
	SignType   string    `json:"sign_type"`
	At         time.Time `json:"at"` // on the Clock
	Pass       bool      `json:"pass"`
	Summary    string    `json:"summary"`
	// Refused, when set, says why the transport refused to connect to the
	// URL at all (a gateway and a private address); nothing reached it.
	Refused string `json:"refused,omitempty"`
	Steps   []Step `json:"steps"`
}

// Step is one notification sent and what the receiver made of it.
type Step struct {
	ID          string        `json:"id"`   // a, b, c, d
	Name        string        `json:"name"` // signed, wrong_signature, changed_amount, repeat
	What        string        `json:"what"`
	WantAck     bool          `json:"want_ack"`
	Sent        bool          `json:"sent"`
	Body        string        `json:"body"`        // as sent, masked
	HTTPStatus  int           `json:"http_status"` // 0: no answer
	Answer      string        `json:"answer"`      // the answer, or what went wrong; masked, at most 256 bytes
	Latency     time.Duration `json:"-"`
	LatencyMS   float64       `json:"latency_ms"`
	Acked       bool          `json:"acked"`
	Pass        bool          `json:"pass"`
	Explanation string        `json:"explanation"`
}

// Step names.
const (
	StepSigned         = "signed"
	StepWrongSignature = "wrong_signature"
	StepChangedAmount  = "changed_amount"
	StepRepeat         = "repeat"
)

// Run makes the check. Its error is for a Checker that cannot run (a field
// missing or malformed) or a ctx that ended; whatever the receiver does,
// including not answering, is in the Report.
func (c *Checker) Run(ctx context.Context) (*Report, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if c.Clock != nil {
		now = c.Clock.Now()
	}
	b, err := c.build(now)
	if err != nil {
		return nil, err
	}
	transport := c.Transport
	if transport == nil {
		t := notify.NewTransport(true, false)
		defer t.CloseIdleConnections()
		transport = t
	}
	rep := &Report{
		OidPartner: c.OidPartner, URL: c.URL, NoOrder: b.fields["no_order"], SignType: b.fields["sign_type"], At: now,
	}
	plan := []struct {
		id, name, what string
		ack            bool
		body           []byte
	}{
		{"a", StepSigned, "a correctly signed notification", true, b.genuine},
		{"b", StepWrongSignature, "the same notification with a wrong signature", false, b.badSign},
		{"c", StepChangedAmount, "the notification with money_order changed to " + b.amount + " after signing", false, b.changed},
		{"d", StepRepeat, "the correctly signed notification again, byte for byte (a retry)", true, b.genuine},
	}
	known := b.known()
	for _, p := range plan {
		s := Step{ID: p.id, Name: p.name, What: p.what, WantAck: p.ack, Body: llgate.MaskText(string(p.body))}
		if rep.Refused == "" {
			sent := notify.PostOnce(ctx, transport, c.Timeout, c.URL, p.body)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var blocked *notify.BlockedAddressError
			if errors.As(sent.Err, &blocked) {
				rep.Refused = fmt.Sprintf("%s is a %s address: llgate in gateway mode sends notifications only to public addresses",
					blocked.Addr, blocked.Reason)
			} else {
				s.Sent = true
			}
			s.HTTPStatus, s.Acked, s.Latency = sent.Status, sent.Acked, sent.Latency
			s.LatencyMS = float64(sent.Latency.Microseconds()) / 1000
			s.Answer = llgate.Redact(sent.Answer, llgate.AnswerKept, known...)
		}
		rep.Steps = append(rep.Steps, s)
	}
	judge(rep)
	return rep, nil
}

func (c *Checker) validate() error {
	switch {
	case c.PlatformKey == nil:
		return errors.New("golive: no platform key")
	case !llgate.ValidOidPartner(c.OidPartner):
		return fmt.Errorf("golive: oid_partner must be 18 digits, not %q", c.OidPartner)
	case c.SignType != "" && c.SignType != llgate.SignRSA && c.SignType != llgate.SignSHA256:
		return fmt.Errorf("golive: sign_type must be %s or %s, not %q", llgate.SignRSA, llgate.SignSHA256, c.SignType)
	}
	checks := []struct {
		name, value string
		check       func(field, s string) error
	}{
		{"notify URL", c.URL, protocol.ValidateURL},
		{"no_order", c.NoOrder, protocol.ValidateOrderNo},
		{"money_order", c.MoneyOrder, protocol.CheckAmount},
	}
	for _, ch := range checks {
		if ch.value == "" && ch.name != "notify URL" {
			continue
		}
		if err := ch.check(ch.name, ch.value); err != nil {
			var fe *llgate.Error
			if errors.As(err, &fe) && fe.Detail != "" {
				return fmt.Errorf("golive: %s %s", ch.name, fe.Detail)
			}
			return fmt.Errorf("golive: %s: %w", ch.name, err)
		}
	}
	return nil
}

// SignTypeFor is the sign type a check of a merchant allowing signTypes
// uses: RSA, unless the merchant's list is known and lacks it.
func SignTypeFor(signTypes []string) string {
	if len(signTypes) > 0 && !slices.Contains(signTypes, llgate.SignRSA) {
		return llgate.SignSHA256
	}
	return llgate.SignRSA
}
