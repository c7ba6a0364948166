package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/llgate/llgate/internal/bench"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const benchUsage = `usage: llgate bench [flags]

Provisions a merchant through the admin API, pre-builds signed and sealed
requests for distinct users and cards, fires them with --concurrency workers
and reports throughput, p50/p99 latency, server and client CPU per request,
the RSA-2048 private-op time measured in the same run, and the crypto share:
(private ops the path cannot avoid × op time) ÷ server CPU per request. The op
time is measured right before and after each path (idle server) and sampled
during it (under load); on a shared machine the under-load share is the one
that agrees with a profile of the server.

Without --url it spawns its own server (this executable: serve --limits off,
SQLite with durable commits in a temporary directory) and measures that
process. With --url, give --server-pid to measure the server's CPU (Linux
/proc) and --server-limits to record its --limits setting.

Besides the default paths, --paths takes pay-apply and pay-verify (pay-verify
must follow pay-apply: its requests are built from the apply answers, with
the merchant's fixed SMS code), payout (accepted payouts of 0.01 to a new
card each, the merchant made live and topped up first), and notify, which runs alone on a spawned
server: 100,000 due notifications, signed and sealed into the database before
the server starts, are timed from its start line until a receiver in this
process has acknowledged them all (--duration bounds the wait, default 5 min),
with the server's heap sampled every second.

flags:`

// runBench is `llgate bench`.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "server base URL; empty spawns a server")
	token := fs.String("admin-token", getenv("LLGATE_ADMIN_TOKEN"), "admin API token of the --url server (env LLGATE_ADMIN_TOKEN)")
	paths := fs.String("paths", strings.Join(bench.Paths, ","), "comma-separated paths, run in order")
	duration := fs.Duration("duration", 10*time.Second, "timed phase per path")
	requests := fs.Int("requests", 0, "timed requests per path instead of --duration")
	concurrency := fs.Int("concurrency", 8, "workers, each with one request in flight")
	pid := fs.Int("server-pid", 0, "pid of the --url server, to read its CPU time from /proc")
	limits := fs.String("server-limits", "", "the --url server's --limits setting (on or off), recorded in the report")
	rsaOps := fs.Int("rsa-ops", 300, "RSA signs and decryptions per op-time measurement (one before and one after each path)")
	spawn := fs.Bool("spawn", false, "spawn the server (the default without --url)")
	spawnDir := fs.String("spawn-dir", "", "where the spawned server's temporary database directory goes (default: the system temporary directory)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "")
	backlog := fs.Int("notify-backlog", bench.DefaultBacklog, "")
	fs.Usage = func() {
		fmt.Fprintln(stderr, benchUsage)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == "" { // --cpuprofile (the bench process only) stays unlisted
				return
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(stderr, "  -%s\n    \t%s%s\n", f.Name, f.Usage, def)
		})
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *url == "" {
		*spawn = true
	}
	if *spawn && *url != "" {
		return errors.New("bench: --spawn and --url exclude each other")
	}
	switch *limits {
	case "", "on", "off":
	default:
		return fmt.Errorf("bench: --server-limits must be on or off, not %q", *limits)
	}
	if *concurrency < 1 || *requests < 0 || (*requests == 0 && *duration <= 0) || *rsaOps < 1 {
		return errors.New("bench: need --concurrency and --rsa-ops ≥ 1, and a positive --duration or --requests")
	}

	for _, p := range strings.Split(*paths, ",") {
		if strings.TrimSpace(p) != bench.NotifyPath {
			continue
		}
		if *paths != bench.NotifyPath || !*spawn || *backlog < 1 {
			return errors.New("bench: the notify path runs alone (--paths notify), on a spawned server, with a positive --notify-backlog")
		}
		timeout := 5 * time.Minute
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "duration" {
				timeout = *duration
			}
		})
		return benchNotify(ctx, *spawnDir, *backlog, timeout, *jsonOut, stdout, stderr)
	}

	var spawned *spawnedServer
	cfg := bench.Config{
		BaseURL: *url, AdminToken: *token, Duration: *duration, Requests: *requests, Concurrency: *concurrency,
		ServerLimits: *limits, RSAOps: *rsaOps, Log: stderr,
	}
	for _, p := range strings.Split(*paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.Paths = append(cfg.Paths, p)
		}
	}
	if *spawn {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		srv, err := spawnServer(ctx, exe, *spawnDir, stderr)
		if err != nil {
			return err
		}
		defer srv.stop(stderr)
		spawned = srv
		cfg.BaseURL, cfg.AdminToken, cfg.ServerLimits = srv.url, srv.token, "off"
		cfg.ServerCPU = bench.ProcessCPU(srv.cmd.Process.Pid)
		cfg.ServerNote = fmt.Sprintf("spawned `llgate serve` (pid %d): sandbox, SQLite WAL synchronous=FULL in %s", srv.cmd.Process.Pid, srv.dir)
		fmt.Fprintf(stderr, "bench: spawned server pid %d at %s\n", srv.cmd.Process.Pid, srv.url)
	} else {
		if cfg.ServerLimits == "" {
			cfg.ServerLimits = "unknown"
			fmt.Fprintln(stderr, "bench: --server-limits not given: the report says limits unknown")
		}
		if *pid > 0 {
			cfg.ServerCPU = bench.ProcessCPU(*pid)
			cfg.ServerNote = fmt.Sprintf("external server, pid %d", *pid)
		} else {
			cfg.ServerNote = "external server, CPU not measured"
			fmt.Fprintln(stderr, "bench: no --server-pid: server CPU and crypto share are not measured")
		}
	}
	if cfg.ServerCPU != nil {
		if _, err := cfg.ServerCPU(); err != nil {
			return fmt.Errorf("bench: server CPU time: %w", err)
		}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		if spawned != nil {
			if tail := spawned.logTail(); tail != "" {
				fmt.Fprintf(stderr, "bench: the spawned server's log ends:\n%s\n", tail)
			}
		}
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// spawnedServer is a child `llgate serve` the bench starts and stops.
type spawnedServer struct {
	cmd        *exec.Cmd
	url, token string
	dir        string // created by spawnServer, removed by stop
	done       chan error
}

// spawnServer starts exe serve on a free loopback port with limits off and
// a fresh SQLite database, and waits for its start line.
func spawnServer(ctx context.Context, exe, parent string, stderr io.Writer) (*spawnedServer, error) {
	dir, err := os.MkdirTemp(parent, "llgate-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return spawnServerIn(ctx, exe, dir, nil)
}

// spawnServerIn is spawnServer in an existing directory (its database
// bench.db may already hold data), with extra serve flags. The directory
// is the server's: stop removes it, and so does a failed start.
func spawnServerIn(ctx context.Context, exe, dir string, extra []string) (*spawnedServer, error) {
	s := &spawnedServer{dir: dir, token: randomToken(), done: make(chan error, 1)}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "bench.db"),
		"--mode", "sandbox", "--limits", "off", "--admin-token", s.token, "--log-level", "warn"}, extra...)
	s.cmd = exec.Command(exe, args...)
	// LLGATE_* variables configure serve; the flags above say everything
	// the bench needs, and nothing else may change what is measured.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LLGATE_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Stderr = logFile
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start server: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()

	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r)
	}()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	var line string
	select {
	case line = <-lines:
	case <-timer.C:
	case <-ctx.Done():
	}
	var start struct{ Msg, Addr string }
	if err := json.Unmarshal([]byte(line), &start); err != nil || start.Msg != "listening" || start.Addr == "" {
		tail := s.logTail()
		s.stop(io.Discard)
		return nil, fmt.Errorf("bench: the spawned server did not start (start line %q): %s", strings.TrimSpace(line), tail)
	}
	s.url = "http://" + start.Addr
	return s, nil
}

// stop interrupts the server, waits for it (killing it after 15 s) and
// removes its directory.
func (s *spawnedServer) stop(stderr io.Writer) {
	_ = s.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		fmt.Fprintln(stderr, "bench: the spawned server did not stop; killing it")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// logTail is the end of the server's log, for an error message.
func (s *spawnedServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	return strings.TrimSpace(string(b))
}

// benchNotify is `llgate bench --paths notify`: it writes a backlog of due
// notifications into a new database, spawns the server on it (with the
// master and platform keys the backlog was sealed and signed with) and
// times their delivery to a receiver in this process.
func benchNotify(ctx context.Context, parent string, backlog int, timeout time.Duration, jsonOut string, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "llgate-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	var srv *spawnedServer
	defer func() {
		if srv != nil {
			srv.stop(stderr)
		} else {
			os.RemoveAll(dir)
		}
	}()
	master := vault.GenerateMasterKey()
	platform, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	masterFile, platformFile := filepath.Join(dir, "master.key"), filepath.Join(dir, "platform.pem")
	if err := os.WriteFile(masterFile, []byte(vault.EncodeMasterKey(master)+"\n"), 0o600); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(platformFile, []byte(protocol.MarshalPrivateKeyPEM(platform)), 0o600); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	cfg := bench.NotifyConfig{
		DBPath: filepath.Join(dir, "bench.db"), MasterKey: master, PlatformKey: platform, Backlog: backlog, Timeout: timeout,
		Log: stderr,
		Start: func(ctx context.Context, _ string) (string, func() (time.Duration, error), error) {
			s, err := spawnServerIn(ctx, exe, dir, []string{"--master-key-file", masterFile, "--platform-key-file", platformFile})
			if err != nil {
				dir = "" // spawnServerIn removed it
				return "", nil, err
			}
			srv = s
			fmt.Fprintf(stderr, "bench: spawned server pid %d at %s\n", s.cmd.Process.Pid, s.url)
			return s.url, bench.ProcessCPU(s.cmd.Process.Pid), nil
		},
		ServerNote: fmt.Sprintf("spawned `llgate serve`: sandbox, SQLite WAL synchronous=FULL in %s, default notifier settings", dir),
	}
	rep, err := bench.RunNotify(ctx, cfg)
	if err != nil {
		if srv != nil {
			if tail := srv.logTail(); tail != "" {
				fmt.Fprintf(stderr, "bench: the spawned server's log ends:\n%s\n", tail)
			}
		}
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// randomToken is the admin token of a spawned server.
func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
