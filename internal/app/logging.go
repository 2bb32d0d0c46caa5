package app

import (
	"context"
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

// requestIDHandler adds request_id (httpserver.RequestIDFrom) to every
// record logged with a request's context that does not carry one already,
// so every line of a request can be found by its id.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := httpserver.RequestIDFrom(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "request_id" {
				has = true
				return false
			}
			return true
		})
		if !has {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
