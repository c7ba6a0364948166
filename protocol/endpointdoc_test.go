package protocol

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/endpoints.md from the endpoint table")

// TestEndpointDoc: docs/endpoints.md is what the endpoint table generates.
func TestEndpointDoc(t *testing.T) {
	var b bytes.Buffer
	if err := WriteEndpointDoc(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "endpoints.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not what the endpoint table generates; run go test ./protocol -run TestEndpointDoc -update", path)
	}
}
