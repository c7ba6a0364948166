package sms_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate/sms"
)

func TestFromConfig(t *testing.T) {
	store := sqlitetest.Open(t)
	v := mustVault(t, store)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	const tmpl = `{"to":{{json .Mobile}},"text":{{json .Text}}}`

	t.Run("OK", func(t *testing.T) {
		for kind, want := range map[string]string{
			"":       "sms.Outbox",
			"outbox": "sms.Outbox",
			"log":    "sms.Log",
			"http":   "*sms.HTTP",
		} {
			s, err := sms.FromConfig(kind, "https://sms.example.com/send", tmpl, store, v, clock, logger)
			if err != nil {
				t.Fatalf("%q: %v", kind, err)
			}
			if got := typeName(s); got != want {
				t.Errorf("%q: got %s, want %s", kind, got, want)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		for name, tc := range map[string]struct{ kind, url, tmpl string }{
			"UnknownKind":  {"carrier-pigeon", "", ""},
			"HTTPNoURL":    {"http", "", tmpl},
			"HTTPBadTmpl":  {"http", "https://sms.example.com/send", `{{json .Phone}}`},
			"HTTPNoScheme": {"http", "sms.example.com", tmpl},
		} {
			s, err := sms.FromConfig(tc.kind, tc.url, tc.tmpl, store, v, clock, logger)
			if err == nil {
				t.Errorf("%s: got nil error", name)
			}
			if s != nil {
				t.Errorf("%s: got sender %#v with the error, want nil", name, s)
			}
		}
		if _, err := sms.FromConfig("outbox", "", "", store, v, nil, logger); err == nil {
			t.Error("outbox without a clock: got nil error")
		}
	})
}

func typeName(v any) string {
	switch v.(type) {
	case sms.Outbox:
		return "sms.Outbox"
	case sms.Log:
		return "sms.Log"
	case *sms.HTTP:
		return "*sms.HTTP"
	}
	return "other"
}
