package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/llgate/llgate/internal/adminclient"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

const notifyUsage = `usage: llgate notify <command> [flags]

commands:
  list     list notifications and their attempts (GET /admin/notifications)
  resend   make a notification due now with a fresh round of attempts
  listen   run a notify_url that verifies, prints and answers notifications

examples:
  llgate notify list --admin-token T --no-order 2024050100001
  llgate notify resend --admin-token T 3f2a9c0d11e4b7a8
  llgate notify listen --addr 127.0.0.1:9090 --admin-token T --answer error`

// runNotify is `llgate notify`.
func runNotify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, notifyUsage)
		return errUsage
	}
	switch args[0] {
	case "list":
		return runNotifyList(ctx, args[1:], getenv, stdout, stderr)
	case "resend":
		return runNotifyResend(ctx, args[1:], getenv, stdout, stderr)
	case "listen":
		return runNotifyListen(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, notifyUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown notify command %q\n%s\n", args[0], notifyUsage)
		return errUsage
	}
}

// notifyAdminFlags are the flags every admin call takes.
type notifyAdminFlags struct {
	url, token string
}

func (f *notifyAdminFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("LLGATE_URL")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	fs.StringVar(&f.url, "url", def, "llgate base URL (env LLGATE_URL)")
	fs.StringVar(&f.token, "admin-token", getenv("LLGATE_ADMIN_TOKEN"), "admin API token (env LLGATE_ADMIN_TOKEN)")
}

// client is the admin API these flags name.
func (f *notifyAdminFlags) client() (*adminclient.Client, error) {
	if f.token == "" {
		return nil, errors.New("notify: --admin-token is required")
	}
	return &adminclient.Client{URL: f.url, Token: f.token}, nil
}

// call sends one admin API request and decodes the JSON answer into out.
func (f *notifyAdminFlags) call(ctx context.Context, method, path string, query url.Values, out any) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	if err := c.Do(ctx, method, path, nil, http.StatusOK, out); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// adminNotification is one entry of GET /admin/notifications.
type adminNotification struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	OidPartner    string `json:"oid_partner"`
	NoOrder       string `json:"no_order"`
	NoRefund      string `json:"no_refund"`
	URL           string `json:"url"`
	Status        string `json:"status"`
	NextAttemptAt string `json:"next_attempt_at"`
	Attempts      []struct {
		At         string `json:"at"`
		HTTPStatus int    `json:"http_status"`
		LatencyMS  int64  `json:"latency_ms"`
		Answer     string `json:"answer"`
	} `json:"attempts"`
}

func runNotifyList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate notify list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var admin notifyAdminFlags
	admin.register(fs, getenv)
	oid := fs.String("oid", "", "only this merchant's (oid_partner)")
	noOrder := fs.String("no-order", "", "only the payment notifications of this no_order")
	noRefund := fs.String("no-refund", "", "only the refund notifications of this no_refund")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	q := url.Values{}
	for k, v := range map[string]string{"oid_partner": *oid, "no_order": *noOrder, "no_refund": *noRefund} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Notifications []adminNotification `json:"notifications"`
	}
	if err := admin.call(ctx, http.MethodGet, "/admin/notifications", q, &out); err != nil {
		return err
	}
	return printNotifications(stdout, out.Notifications)
}

func runNotifyResend(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate notify resend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: llgate notify resend [flags] ID")
		fs.PrintDefaults()
	}
	var admin notifyAdminFlags
	admin.register(fs, getenv)
	// The ID may come before the flags too.
	var ids []string
	for {
		if help, err := parseFlags(fs, args); help || err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		ids, args = append(ids, fs.Arg(0)), fs.Args()[1:]
	}
	if len(ids) != 1 {
		fs.Usage()
		return errUsage
	}
	var n adminNotification
	if err := admin.call(ctx, http.MethodPost, "/admin/notifications/"+url.PathEscape(ids[0])+"/resend", nil, &n); err != nil {
		return err
	}
	return printNotifications(stdout, []adminNotification{n})
}

// printNotifications writes the table `notify list` shows.
func printNotifications(w io.Writer, ns []adminNotification) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tOID_PARTNER\tNO_ORDER/NO_REFUND\tSTATUS\tATTEMPTS\tLAST_HTTP\tNEXT_ATTEMPT\tLAST_ANSWER")
	for _, n := range ns {
		no := n.NoOrder
		if n.Kind == "refund" || no == "" {
			no = n.NoRefund
		}
		last, answer := "-", ""
		if k := len(n.Attempts); k > 0 {
			a := n.Attempts[k-1]
			last = strconv.Itoa(a.HTTPStatus)
			if a.HTTPStatus == 0 {
				last = "none"
			}
			answer = oneLine(a.Answer, 60)
		}
		next := n.NextAttemptAt
		if next == "" {
			next = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.ID, n.Kind, n.OidPartner, no, n.Status,
			len(n.Attempts), last, next, answer)
	}
	return tw.Flush()
}

// oneLine flattens s and cuts it to n characters for a table cell.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func runNotifyListen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate notify listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var admin notifyAdminFlags
	admin.register(fs, getenv)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on (:0 picks a port)")
	keyFile := fs.String("platform-key", "", "platform public key file (PEM or base64); else fetched with --url and --admin-token")
	answer := fs.String("answer", notify.AnswerOK, "how to answer verified notifications: ok, error (HTTP 500), slow (wait --slow, then ok), none (close the connection)")
	slow := fs.Duration("slow", 10*time.Second, "the wait of --answer slow")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	switch *answer {
	case notify.AnswerOK, notify.AnswerError, notify.AnswerSlow, notify.AnswerNone:
	default:
		return fmt.Errorf("notify listen: --answer must be ok, error, slow or none, not %q", *answer)
	}

	var keyText string
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("notify listen: %w", err)
		}
		keyText = string(b)
	} else {
		if admin.token == "" {
			return errors.New("notify listen: need --platform-key, or --url and --admin-token to fetch it")
		}
		c, err := admin.client()
		if err != nil {
			return err
		}
		if keyText, err = c.PlatformKeyPEM(ctx); err != nil {
			return fmt.Errorf("notify listen: %w", err)
		}
	}
	key, err := protocol.ParsePublicKey(keyText)
	if err != nil {
		return fmt.Errorf("notify listen: platform key: %w", err)
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("notify listen: %w", err)
	}
	srv := &http.Server{
		Handler:           &notify.Listener{Key: key, Out: stdout, Mode: *answer, Slow: *slow},
		ReadHeaderTimeout: 10 * time.Second,
	}
	start, _ := json.Marshal(map[string]string{"msg": "listening", "addr": ln.Addr().String(), "answer": *answer})
	fmt.Fprintf(stdout, "%s\n", start)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("notify listen: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv.Shutdown(sctx) != nil {
		_ = srv.Close() // cut off slow answers still waiting
	}
	<-done
	return nil
}
