package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/llgate/llgate/internal/app"
)

// BenchmarkJunk is the server's cost of junk over real HTTP on loopback:
// a body that is not JSON and an unknown merchant, in turn (`llgate bench
// --paths junk` measures the same through a spawned server).
func BenchmarkJunk(b *testing.B) {
	h := newHarness(b, func(o *app.Options) { o.Limits = false })
	bodies := [][]byte{[]byte("this is not JSON"), []byte(`{"oid_partner":"209999999999999999","sign_type":"RSA","sign":"x"}`)}
	c := &http.Client{}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			resp, err := c.Post(h.http.URL+routeCardBin, "application/json", bytes.NewReader(bodies[i%2]))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			i++
		}
	})
}
