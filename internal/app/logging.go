package app

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/efactura-gateway/efactura/internal/httpserver"
)

// Log file rotation (EFACTURA_LOG_FILE): a new file past 100 MB, 10 old
// files kept for at most 30 days, compressed.
const (
	logFileMaxMB      = 100
	logFileMaxBackups = 10
	logFileMaxDays    = 30
)

// logFileWriter is the rotated EFACTURA_LOG_FILE (lumberjack).
func logFileWriter(path string) io.Writer {
	return &lumberjack.Logger{Filename: path, MaxSize: logFileMaxMB, MaxBackups: logFileMaxBackups,
		MaxAge: logFileMaxDays, Compress: true}
}

// MaxLogField caps every string value of a log record (and its message)
// in bytes, "stack" excepted: whatever a client sends that ends up in a
// log line (a path, an error quoting input) cannot make a line of
// megabytes. The access log caps its own fields tighter
// (httpserver.MaxLoggedPath).
const MaxLogField = 4096

// requestIDHandler adds request_id (httpserver.RequestIDFrom) to every
// record logged with a request's context that does not carry one already,
// so every line of a request can be found by its id, and caps string
// values at MaxLogField. An error logged for a request whose client has
// gone away (its context cancelled: the failure is the cancellation's
// consequence) is written at INFO with client_gone=true, like the access
// log's 499 — a recovered panic excepted.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	id := httpserver.RequestIDFrom(ctx)
	has, long, panicked := false, len(r.Message) > MaxLogField, false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "request_id" {
			has = true
		}
		if a.Key == "panic" {
			panicked = true
		}
		if a.Key != "stack" && a.Value.Kind() == slog.KindString && len(a.Value.String()) > MaxLogField {
			long = true
		}
		return true
	})
	if long {
		c := slog.NewRecord(r.Time, r.Level, httpserver.Truncate(r.Message, MaxLogField), r.PC)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "stack" && a.Value.Kind() == slog.KindString && len(a.Value.String()) > MaxLogField {
				a = slog.String(a.Key, httpserver.Truncate(a.Value.String(), MaxLogField))
			}
			c.AddAttrs(a)
			return true
		})
		r = c
	}
	cloned := long
	if id != "" && !has {
		if !cloned {
			r, cloned = r.Clone(), true
		}
		r.AddAttrs(slog.String("request_id", id))
	}
	if id != "" && r.Level >= slog.LevelError && !panicked && errors.Is(ctx.Err(), context.Canceled) {
		if !h.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		if !cloned {
			r = r.Clone()
		}
		r.Level = slog.LevelInfo
		r.AddAttrs(slog.Bool("client_gone", true))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
