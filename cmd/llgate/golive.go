package main

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/golive"
	"github.com/llgate/llgate/internal/adminclient"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

const goliveUsage = `usage: llgate golive --merchant OID --notify-url URL [--db DB | --platform-key-file F [--url BASE --admin-token T]] [flags]

Sends the merchant's notify URL a correctly signed payment notification, one with a wrong
signature, one with money_order changed after signing, and the first again, and says whether
the receiver acknowledged the genuine two and refused the forged two. Exit status 1 when it did not.
The platform key, the merchant's settings and the clock come from the database (--db, default
./llgate.db), or the key from --platform-key-file and the settings from the admin API (--url,
--admin-token). --mode gateway refuses loopback, private and link-local addresses as a gateway does.`

// errCheckFailed is golive's exit status 1: the report is printed.
type errCheckFailed struct{ summary string }

func (e *errCheckFailed) Error() string { return "golive: " + e.summary }
func (e *errCheckFailed) ExitCode() int { return 1 }

// goliveTarget is what the check needs to know about the merchant and the
// platform, from whichever source the flags name.
type goliveTarget struct {
	key         *rsa.PrivateKey
	extraFields bool
	signTypes   []string // the merchant's; empty when unknown
	clock       llgate.Clock
}

// runGolive is `llgate golive`.
func runGolive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := c.newFlagSet("llgate golive", getenv, stderr, append([]string{"mode"}, storeFlags...)...)
	fs.Usage = func() {
		fmt.Fprintln(stderr, goliveUsage)
		fs.PrintDefaults()
	}
	var admin notifyAdminFlags
	admin.register(fs, getenv)
	oid := fs.String("merchant", "", "oid_partner of the merchant")
	target := fs.String("notify-url", "", "the merchant's notify URL; nothing else is called")
	signType := fs.String("sign-type", "", "RSA or SHA256withRSA (default: RSA, or the one the merchant allows)")
	extra := fs.Bool("extra-fields", false, "send id_type, id_no, acct_name, card_no (test values), as for merchants with notify_extra_fields (read from --db or --url when given)")
	noOrder := fs.String("no-order", "", "no_order of an order the receiver knows (default: a made-up GOLIVE-<time>)")
	money := fs.String("money-order", "", "that order's money_order (default 0.01)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *oid == "" || *target == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if err := c.validate(); err != nil {
		return err
	}
	// The database is the first source of the key, as for the other
	// commands that open it; a key file alone stands in for it.
	dbGiven := getenv("LLGATE_DB") != ""
	fs.Visit(func(f *flag.Flag) { dbGiven = dbGiven || f.Name == "db" })
	var t *goliveTarget
	var err error
	if dbGiven || c.PlatformKeyFile == "" {
		t, err = goliveFromDB(ctx, &c, *oid, stderr)
	} else {
		t, err = goliveFromKeyFile(ctx, &c, &admin, *oid)
	}
	if err != nil {
		return err
	}
	st := *signType
	if st == "" {
		st = golive.SignTypeFor(t.signTypes)
	}
	gateway := c.Mode == string(llgate.ModeGateway)
	// The transport llgate's notifier uses in this mode: a gateway refuses
	// private addresses at dial time, the sandbox accepts self-signed TLS.
	transport := notify.NewTransport(gateway, !gateway)
	defer transport.CloseIdleConnections()
	chk := &golive.Checker{
		PlatformKey: t.key, OidPartner: *oid, ExtraFields: t.extraFields || *extra, SignType: st, URL: *target,
		Transport: transport, Clock: t.clock, NoOrder: *noOrder, MoneyOrder: *money,
	}
	rep, err := chk.Run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else if err := printGolive(stdout, rep); err != nil {
		return err
	}
	if !rep.Pass {
		return &errCheckFailed{rep.Summary}
	}
	return nil
}

// goliveFromDB reads the stored platform key (or the pinned one, as serve
// would use it), the merchant's settings and the clock from the database.
func goliveFromDB(ctx context.Context, c *config, oid string, stderr io.Writer) (*goliveTarget, error) {
	if !isPostgres(c.DB) {
		if _, err := os.Stat(c.DB); err != nil {
			return nil, fmt.Errorf("golive needs the platform private key, which the admin API never hands out: "+
				"no database at %s (give --db, or --platform-key-file)", c.DB)
		}
	}
	a, err := openApp(ctx, c, newLogger(stderr, c.LogLevel), "")
	if err != nil {
		return nil, err
	}
	defer a.Store.Close()
	defer a.Close()
	m, err := a.Merchants.Get(ctx, oid)
	if errors.Is(err, llgate.ErrNotFound) {
		return nil, fmt.Errorf("no merchant %s in %s", oid, c.DB)
	}
	if err != nil {
		return nil, err
	}
	return &goliveTarget{key: a.PlatformKey, extraFields: m.NotifyExtraFields, signTypes: m.SignTypes, clock: a.Clock}, nil
}

// goliveFromKeyFile reads the platform key from its file. With an admin
// token it also reads the merchant's settings from the server, and makes
// sure the file holds that server's key: the merchant's receiver checks
// notifications with its public half, and would be right to refuse ours.
func goliveFromKeyFile(ctx context.Context, c *config, admin *notifyAdminFlags, oid string) (*goliveTarget, error) {
	key, err := loadPlatformKey(c)
	if err != nil {
		return nil, err
	}
	t := &goliveTarget{key: key}
	if admin.token == "" {
		return t, nil
	}
	ac := &adminclient.Client{URL: admin.url, Token: admin.token}
	pem, err := ac.PlatformKeyPEM(ctx)
	if err != nil {
		return nil, fmt.Errorf("golive: %w", err)
	}
	served, err := protocol.ParsePublicKey(pem)
	if err != nil {
		return nil, fmt.Errorf("golive: the server's platform key: %w", err)
	}
	if !served.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("golive: %s is not the platform key of %s: the merchant's receiver, set up with that server's public key, would refuse every notification", c.PlatformKeyFile, admin.url)
	}
	var m struct {
		SignTypes         []string `json:"sign_types"`
		NotifyExtraFields bool     `json:"notify_extra_fields"`
	}
	if err := ac.Do(ctx, http.MethodGet, "/admin/merchants/"+url.PathEscape(oid), nil, http.StatusOK, &m); err != nil {
		return nil, fmt.Errorf("golive: merchant %s: %w", oid, err)
	}
	t.extraFields, t.signTypes = m.NotifyExtraFields, m.SignTypes
	// The sandbox's clock, which may have been moved; a gateway has none
	// to ask (404) and runs on wall time.
	var clock struct {
		Now time.Time `json:"now"`
	}
	if ac.Do(ctx, http.MethodGet, "/admin/clock", nil, http.StatusOK, &clock) == nil && !clock.Now.IsZero() {
		offset := time.Until(clock.Now)
		t.clock = llgate.ClockFunc(func() time.Time { return time.Now().Add(offset).UTC() })
	}
	return t, nil
}

// printGolive writes the report as a table, each step's explanation, and
// the verdict.
func printGolive(w io.Writer, rep *golive.Report) error {
	fmt.Fprintf(w, "go-live check of %s for merchant %s (no_order %s, sign_type %s)\n\n", rep.URL, rep.OidPartner, rep.NoOrder, rep.SignType)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tNOTIFICATION\tWANT\tHTTP\tLATENCY\tANSWER\tRESULT")
	for _, s := range rep.Steps {
		want, status, latency, answer := "refused", "-", "-", "(not sent)"
		if s.WantAck {
			want = "acknowledged"
		}
		if s.Sent {
			status, latency, answer = "none", s.Latency.Round(100_000).String(), oneLine(s.Answer, 48)
			if s.HTTPStatus != 0 {
				status = strconv.Itoa(s.HTTPStatus)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, strings.ReplaceAll(s.Name, "_", " "), want, status, latency, answer, verdict(s.Pass))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, s := range rep.Steps {
		fmt.Fprintf(w, "%s %s: %s\n", s.ID, verdict(s.Pass), s.Explanation)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", rep.Summary)
	return err
}

func verdict(pass bool) string {
	if pass {
		return "pass"
	}
	return "FAIL"
}
