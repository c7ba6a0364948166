package faulttest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RepoRoot finds the module root (the directory holding go.mod) from dir
// upwards.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/llgate/llgate\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("faulttest: not inside the llgate module")
		}
		dir = parent
	}
}

// Build compiles ./cmd/llgate of the module at root into dir and returns the
// binary's path.
func Build(ctx context.Context, root, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "llgate")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/llgate")...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/llgate: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is one running `llgate serve` process.
type Server struct {
	Addr string // host:port from the start line
	URL  string // http://Addr

	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	err    error // of Wait
}

// StartLine is the JSON line serve prints on stdout once it listens.
type StartLine struct {
	Msg        string `json:"msg"`
	Addr       string `json:"addr"`
	Mode       string `json:"mode"`
	AdminToken string `json:"admin_token"`
}

// Start runs `bin serve args...`, appends its stderr (the JSON log) to
// logPath, and returns once the start line names the address it listens on.
func Start(bin string, args []string, env []string, logPath string) (*Server, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	fmt.Fprintf(logf, "---- %s start: serve %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))

	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, exited: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
			}
		}
		if first {
			close(lines)
		}
		_, _ = io.Copy(io.Discard, stdout)
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.exited)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			<-s.exited
			return nil, fmt.Errorf("llgate serve exited before its start line: %v; log %s ends:\n%s", s.WaitErr(), logPath, tail(logPath, 2000))
		}
		var st StartLine
		if err := json.Unmarshal([]byte(line), &st); err != nil || st.Msg != "listening" || st.Addr == "" {
			s.Kill()
			return nil, fmt.Errorf("llgate serve: unexpected start line %q", line)
		}
		s.Addr, s.URL = st.Addr, "http://"+st.Addr
		return s, nil
	case <-time.After(60 * time.Second):
		s.Kill()
		return nil, fmt.Errorf("llgate serve: no start line within 60 s (log: %s)", logPath)
	}
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Kill sends SIGKILL and waits until the process is gone.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop sends SIGTERM (a graceful drain) and waits up to timeout, then kills.
// It reports whether the process exited by itself with status 0.
func (s *Server) Stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.WaitErr()
	case <-time.After(timeout):
		s.Kill()
		return fmt.Errorf("llgate serve did not stop within %s of SIGTERM: killed", timeout)
	}
}

// Exited is closed when the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// WaitErr is the process's exit error once it exited.
func (s *Server) WaitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// tail returns the last n bytes of a file.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}
