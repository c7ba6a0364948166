package llgate

import (
	"context"
	"fmt"
	"log/slog"
)

// MaskingHandler wraps h so that every record is masked by default
// (MaskText): the message, string attributes, and the text of errors,
// byte slices and any other value that is not a number, bool, time or
// duration. A call site that forgets to mask leaks nothing.
func MaskingHandler(h slog.Handler) slog.Handler {
	if m, ok := h.(maskingHandler); ok {
		return m
	}
	return maskingHandler{h}
}

type maskingHandler struct{ h slog.Handler }

func (m maskingHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, MaskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m maskingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a)
	}
	return maskingHandler{m.h.WithAttrs(masked)}
}

func (m maskingHandler) WithGroup(name string) slog.Handler {
	return maskingHandler{m.h.WithGroup(name)}
}

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		// An attribute's key says what its value is, as in a sign
		// source: identifiers stay readable, personal data gets its mask.
		if plainKeys[a.Key] {
			return slog.String(a.Key, v.String())
		}
		if m := maskerFor(a.Key); m != nil {
			return slog.String(a.Key, m(v.String()))
		}
		return slog.String(a.Key, MaskText(v.String()))
	case slog.KindGroup:
		g := v.Group()
		masked := make([]any, len(g))
		for i, x := range g {
			masked[i] = maskAttr(x)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			return a
		case error:
			return slog.String(a.Key, MaskText(x.Error()))
		case []byte:
			return slog.String(a.Key, MaskText(string(x)))
		case []string:
			masked := make([]string, len(x))
			for i, e := range x {
				masked[i] = MaskText(e)
			}
			return slog.Any(a.Key, masked)
		default:
			return slog.String(a.Key, MaskText(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
