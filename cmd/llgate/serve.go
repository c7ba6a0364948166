package main

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/protocol"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := c.newFlagSet("llgate serve", getenv, stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	logger := newLogger(stderr, c.LogLevel)

	a, err := openApp(ctx, &c, logger, c.AdminToken)
	if err != nil {
		return err
	}
	defer a.Store.Close()
	defer a.Close()
	if c.Merchants != "" {
		if err := upsertMerchantsFile(ctx, a.Merchants, c.Merchants); err != nil {
			return err
		}
	}

	// One listener serves everything, or, with --admin-addr, the merchant
	// API and the admin API (with /metrics) listen apart, so a gateway never
	// exposes the admin API where merchants connect.
	var servers []*listening
	if c.AdminAddr == "" {
		servers = append(servers, &listening{addr: c.Addr, handler: a.Server})
	} else {
		servers = append(servers,
			&listening{addr: c.Addr, handler: a.Server.MerchantHandler()},
			&listening{addr: c.AdminAddr, handler: a.Server.AdminHandler()})
	}
	for _, l := range servers {
		if l.ln, err = net.Listen("tcp", l.addr); err != nil {
			closeAll(servers)
			return err
		}
		l.srv = newHTTPServer(l.handler, logger)
	}
	start := struct {
		Msg        string `json:"msg"`
		Addr       string `json:"addr"`
		AdminAddr  string `json:"admin_addr,omitempty"`
		Mode       string `json:"mode"`
		AdminToken string `json:"admin_token,omitempty"`
		Console    string `json:"console"`
	}{Msg: "listening", Addr: servers[0].ln.Addr().String(), Mode: c.Mode}
	if len(servers) > 1 {
		start.AdminAddr = servers[1].ln.Addr().String()
	}
	start.Console = consoleURL(servers[len(servers)-1].ln.Addr(), c.TLSCert != "")
	if a.TokenKept {
		start.AdminToken = a.AdminToken
	}
	line, _ := json.Marshal(start)
	fmt.Fprintln(stdout, string(line))

	bg, stopBG := context.WithCancel(ctx)
	go housekeeping(bg, a, logger)
	waitWork := a.Start(bg) // notification attempts, settlements: due by the clock
	defer func() { stopBG(); waitWork() }()

	errc := make(chan error, len(servers))
	for _, l := range servers {
		go func() {
			if c.TLSCert != "" {
				errc <- l.srv.ServeTLS(l.ln, c.TLSCert, c.TLSKey)
			} else {
				errc <- l.srv.Serve(l.ln)
			}
		}()
	}
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, l := range servers {
		if err := l.srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// listening is one listener of serve and the server on it.
type listening struct {
	addr    string
	handler http.Handler
	ln      net.Listener
	srv     *http.Server
}

func closeAll(ls []*listening) {
	for _, l := range ls {
		if l.ln != nil {
			l.ln.Close()
		}
	}
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(llgate.MaskingHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})))
}

// loadPlatformKey reads the pinned platform key; nil means app.New creates
// (once) or loads the stored one.
func loadPlatformKey(c *config) (*rsa.PrivateKey, error) {
	if c.PlatformKeyFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.PlatformKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read platform key: %w", err)
	}
	key, err := protocol.ParsePrivateKey(string(pem))
	if err != nil {
		return nil, fmt.Errorf("platform key %s: %w", c.PlatformKeyFile, err)
	}
	return key, nil
}

func upsertMerchantsFile(ctx context.Context, ms *llgate.Merchants, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read merchants file: %w", err)
	}
	var list []httpapi.MerchantJSON
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("merchants file %s: %w", path, err)
	}
	for i := range list {
		m, md5Key, err := list[i].Merchant()
		if err == nil {
			_, err = ms.Upsert(ctx, m, md5Key)
		}
		if err != nil {
			return fmt.Errorf("merchants file %s, entry %d: %w", path, i, err)
		}
	}
	return nil
}

// housekeeping follows another replica's clock moves and trims the request
// log and the velocity marks, until ctx ends.
func housekeeping(ctx context.Context, a *app.App, logger *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if a.SandboxClock != nil {
			if err := a.SandboxClock.Sync(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("clock sync", "err", err)
			}
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			cutoff := a.Clock.Now().Add(-7 * 24 * time.Hour)
			err := a.Store.Update(ctx, func(tx llgate.Tx) error {
				_, err := tx.PruneRequestLog(ctx, cutoff)
				return err
			})
			if err != nil && ctx.Err() == nil {
				logger.Warn("request log prune", "err", err)
			}
			// Velocity marks count for an hour; a day keeps them well past it.
			err = a.Store.Update(ctx, func(tx llgate.Tx) error {
				_, err := tx.PruneVelocity(ctx, a.Clock.Now().Add(-24*time.Hour))
				return err
			})
			if err != nil && ctx.Err() == nil {
				logger.Warn("velocity prune", "err", err)
			}
		}
	}
}

// consoleURL is where a browser on this machine finds the console: on the
// admin listener (the only one, or --admin-addr), an unspecified address
// (0.0.0.0, ::) named as loopback.
func consoleURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/console/"
}
