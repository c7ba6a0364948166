package notify

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPostOnce: one POST as the worker makes it, with the transport's
// error kept when no answer came.
func TestPostOnce(t *testing.T) {
	var gotType, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotType, gotBody = r.Header.Get("Content-Type"), string(b)
		_, _ = io.WriteString(w, "\xef\xbb\xbf{'ret_code':'0000'}")
	}))
	defer srv.Close()

	s := PostOnce(t.Context(), nil, 0, srv.URL, []byte(`{"a":"1"}`))
	if !s.Acked || s.Status != 200 || s.Err != nil || s.Latency <= 0 {
		t.Errorf("PostOnce: %+v, want an acknowledgement", s)
	}
	if gotType != ContentType || gotBody != `{"a":"1"}` {
		t.Errorf("receiver got %q %q", gotType, gotBody)
	}

	s = PostOnce(t.Context(), NewTransport(true, false), 0, srv.URL, []byte(`{}`))
	var blocked *BlockedAddressError
	if s.Acked || s.Status != 0 || !errors.As(s.Err, &blocked) || blocked.Reason != "loopback" {
		t.Errorf("PostOnce to loopback through a gateway transport: %+v, want a BlockedAddressError", s)
	}
}
