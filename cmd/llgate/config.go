package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/postgres"
)

// config is every setting of the server: defaults, then LLGATE_<FLAG>
// environment variables, then flags.
type config struct {
	Addr            string
	AdminAddr       string
	TrustedProxies  string
	DB              string
	Mode            string
	AdminToken      string
	MasterKeyFile   string
	MasterKey       string // LLGATE_MASTER_KEY only: never a flag, so it stays out of ps
	PlatformKeyFile string
	Merchants       string
	Throttle        string // --throttle, alias --limits
	RatePerMerchant string
	RatePerAddr     string
	TLSCert         string
	TLSKey          string
	EnvelopeHMAC    string
	LogLevel        string
	SMS             string
	SMSURL          string
	SMSTemplate     string
	DBTimeout       string
	RequestTimeout  string
}

func defaultConfig() config {
	return config{
		Addr: "127.0.0.1:8080", DB: "./llgate.db", Mode: "sandbox", Throttle: "on",
		EnvelopeHMAC: "check", LogLevel: "info",
		DBTimeout: postgres.DefaultTimeout.String(), RequestTimeout: httpapi.DefaultRequestTimeout.String(),
	}
}

// storeFlags are the flags of the commands that open the database
// directly (merchant, report, keys rotate): serve's, where to find it.
var storeFlags = []string{"db", "master-key-file", "platform-key-file", "log-level"}

// newFlagSet binds the named flags of serve (all of them when only is
// empty) to c, taking each default from the environment variable
// LLGATE_<FLAG> when it is set, so that a command's --help lists only the
// flags it reads.
func (c *config) newFlagSet(name string, getenv func(string) string, stderr io.Writer, only ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, flagName, help string) {
		if len(only) > 0 && !slices.Contains(only, flagName) {
			return
		}
		env := "LLGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, flagName, *p, help+" (env "+env+")")
	}
	str(&c.Addr, "addr", "listen address; :0 picks a port")
	str(&c.AdminAddr, "admin-addr", "serve the admin API and /metrics only on this address (not on --addr)")
	str(&c.TrustedProxies, "trusted-proxies", "comma-separated CIDRs whose X-Forwarded-For gives the client address")
	str(&c.DB, "db", "SQLite path, :memory:, or a postgres:// URL")
	str(&c.Mode, "mode", "sandbox or gateway")
	str(&c.AdminToken, "admin-token", "bearer token of the admin API; empty: one generated once, kept with the database and printed at start")
	str(&c.MasterKeyFile, "master-key-file", "file holding the 32-byte master key (hex or base64)")
	str(&c.PlatformKeyFile, "platform-key-file", "PEM RSA private key that pins the platform key")
	str(&c.Merchants, "merchants", "JSON array of merchant objects upserted at start")
	str(&c.Throttle, "throttle", "on or off: SMS caps, velocity caps and rate limits (not merchants' payment limits)")
	str(&c.Throttle, "limits", "the old name of --throttle")
	str(&c.RatePerMerchant, "rate-per-merchant", "merchant API requests per second per merchant (default 1000)")
	str(&c.RatePerAddr, "rate-per-addr", "merchant API requests per second per client address (default 2000)")
	str(&c.TLSCert, "tls-cert", "TLS certificate file (PEM)")
	str(&c.TLSKey, "tls-key", "TLS private key file (PEM)")
	str(&c.EnvelopeHMAC, "envelope-hmac", "check or skip the pay_load HMAC (skip: gateway mode only)")
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
	str(&c.SMS, "sms", "SMS sender: outbox (the sandbox inbox, default), log, or http")
	str(&c.SMSURL, "sms-url", "http SMS sender: the provider's URL")
	str(&c.SMSTemplate, "sms-template", `http SMS sender: body template, e.g. {"to":{{json .Mobile}},"text":{{json .Text}}}`)
	str(&c.DBTimeout, "db-timeout", "PostgreSQL: the longest one transaction, ping or connection attempt may wait for the database")
	str(&c.RequestTimeout, "request-timeout", "the longest a merchant request may work before it answers 9999")
	if v := getenv("LLGATE_MASTER_KEY"); v != "" {
		c.MasterKey = v
	}
	return fs
}

func (c *config) validate() error {
	switch c.Mode {
	case "sandbox", "gateway":
	default:
		return fmt.Errorf("--mode must be sandbox or gateway, not %q", c.Mode)
	}
	switch c.Throttle {
	case "on", "off":
	default:
		return fmt.Errorf("--throttle (--limits) must be on or off, not %q", c.Throttle)
	}
	switch c.EnvelopeHMAC {
	case "check":
	case "skip":
		if c.Mode != "gateway" {
			return fmt.Errorf("--envelope-hmac skip is for gateway mode: the sandbox must fail a broken envelope as LianLian does")
		}
	default:
		return fmt.Errorf("--envelope-hmac must be check or skip, not %q", c.EnvelopeHMAC)
	}
	if c.Mode == "gateway" && c.AdminToken != "" && !llgate.StrongAdminToken(c.AdminToken) {
		return fmt.Errorf("--admin-token: a gateway's admin token must carry at least 128 bits (32 hex or 22 base64 characters)")
	}
	for _, r := range []struct{ name, v string }{{"--rate-per-merchant", c.RatePerMerchant}, {"--rate-per-addr", c.RatePerAddr}} {
		if _, err := parseRate(r.v); err != nil {
			return fmt.Errorf("%s: %v", r.name, err)
		}
	}
	if _, err := httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %v", err)
	}
	if c.AdminAddr != "" && c.AdminAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		return fmt.Errorf("--admin-addr must differ from --addr")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	_, _, err := c.timeouts()
	return err
}

// timeouts parses --db-timeout and --request-timeout; an empty one is zero,
// which takes the default.
func (c *config) timeouts() (db, request time.Duration, err error) {
	if db, err = positiveDuration("--db-timeout", c.DBTimeout); err != nil {
		return 0, 0, err
	}
	request, err = positiveDuration("--request-timeout", c.RequestTimeout)
	return db, request, err
}

func positiveDuration(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration such as 5s, not %q", flag, s)
	}
	return d, nil
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// parseRate reads a requests-per-second flag; "" is 0, the default.
func parseRate(v string) (float64, error) {
	if v == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return 0, fmt.Errorf("want a positive number of requests per second, not %q", v)
	}
	return r, nil
}
