package postgres_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/llgate/llgate/postgres/pgtest"
)

// TestMain says, once per `go test ./...`, that the PostgreSQL suite was
// skipped and how to run it. go test shows a passing package's output only
// with -v, so the line goes to the terminal when there is one (a CI log
// shows the skips with -v, or in the package's "ok" timing).
func TestMain(m *testing.M) {
	if os.Getenv(pgtest.Env) == "" {
		msg := "llgate: PostgreSQL tests skipped: run them with " + pgtest.Env +
			"='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./...\n"
		fmt.Print(msg)
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprint(tty, msg)
			tty.Close()
		}
	}
	os.Exit(m.Run())
}
