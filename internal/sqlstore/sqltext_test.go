package sqlstore

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A bare parameter as LIMIT makes SQLite re-plan the statement on every
// run (it compiles the limit's value into the plan), which costs as much as
// preparing it afresh; see the package comment.
func TestNoBareLimitParameter(t *testing.T) {
	bare := regexp.MustCompile(`LIMIT \$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bare.MatchString(line) {
				t.Errorf("%s:%d: LIMIT with a bare parameter; write LIMIT CAST($n AS BIGINT)", f, i+1)
			}
		}
	}
}
