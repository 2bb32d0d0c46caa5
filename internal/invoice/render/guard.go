package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

// MaxPDFLines is the most invoice lines (BG-25) a guarded PDF render
// accepts: about 100 A4 pages. Rendering holds the whole document tree
// (maroto) in memory, about 10 kB per line at peak (5000 lines: ~50 MB,
// 0.7 s); a larger document is refused before rendering with a
// *TooLargeError, and its ZIP and XML stay downloadable.
const MaxPDFLines = 5000

// Defaults of a Guard (GuardConfig zero values).
const (
	// DefaultRenderWait is how long a request waits for a free render slot
	// before ErrBusy.
	DefaultRenderWait = 2 * time.Second
	// DefaultRetryAfter is the Retry-After advertised with ErrBusy.
	DefaultRetryAfter = 5 * time.Second
)

// ErrBusy is returned by Guard.PDF when every render slot stayed taken
// for the guard's wait (or the request ended while waiting): answer 503
// with Retry-After (Guard.RetryAfterSeconds).
var ErrBusy = errors.New("render: every PDF render slot is busy")

// TooLargeError is returned by Guard.PDF for a document with more than
// Limit lines; nothing was rendered.
type TooLargeError struct {
	Lines int // the document's lines
	Limit int // the guard's limit
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("render: the document has %d lines, more than the %d-line limit for a PDF", e.Lines, e.Limit)
}

// GuardConfig sizes a Guard; a zero field takes its default.
type GuardConfig struct {
	Concurrency int           // renders at once; 0: runtime.GOMAXPROCS(0) (the CPUs available)
	Wait        time.Duration // wait for a slot before ErrBusy; 0: DefaultRenderWait
	MaxLines    int           // lines accepted; 0: MaxPDFLines
	RetryAfter  time.Duration // advertised with ErrBusy; 0: DefaultRetryAfter
}

// Guard bounds PDF rendering in a process: at most Concurrency renders at
// once (a semaphore; a request waits at most Wait for a slot, then gets
// ErrBusy) and at most MaxLines lines per document (*TooLargeError). The
// API (GET /api/v1/invoices/{id}/pdf) and the web UI (GET
// /invoices/{id}/pdf) both render through Shared(), so they share the
// slots.
type Guard struct {
	slots      chan struct{}
	wait       time.Duration
	maxLines   int
	retryAfter time.Duration
}

// NewGuard returns a guard sized by c.
func NewGuard(c GuardConfig) *Guard {
	if c.Concurrency <= 0 {
		c.Concurrency = runtime.GOMAXPROCS(0)
	}
	if c.Wait <= 0 {
		c.Wait = DefaultRenderWait
	}
	if c.MaxLines <= 0 {
		c.MaxLines = MaxPDFLines
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	return &Guard{slots: make(chan struct{}, c.Concurrency), wait: c.Wait, maxLines: c.MaxLines, retryAfter: c.RetryAfter}
}

// Shared is the process-wide guard with the default configuration, used
// by every HTTP handler that renders a PDF.
var Shared = sync.OnceValue(func() *Guard { return NewGuard(GuardConfig{}) })

// MaxLines is the guard's line limit.
func (g *Guard) MaxLines() int { return g.maxLines }

// RetryAfterSeconds is the Retry-After value (whole seconds) to send with
// ErrBusy.
func (g *Guard) RetryAfterSeconds() int {
	return int((g.retryAfter + time.Second - 1) / time.Second)
}

// Acquire takes a render slot, waiting at most the guard's wait; the
// caller must call release once done. ErrBusy when no slot freed up in
// time or ctx ended first.
func (g *Guard) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

func (g *Guard) release() { <-g.slots }

// PDF renders a document as a PDF under the guard and returns its bytes.
// It takes a slot first (ErrBusy), then calls load, which fetches and
// decodes the document and ANAF's facts (its error is returned as is: the
// caller's "not found", "not an invoice"), refuses more than MaxLines
// lines with a *TooLargeError, and renders with PDF. Loading, decoding
// and rendering all happen inside the slot, so a request waiting for one
// holds no document in memory.
func (g *Guard) PDF(ctx context.Context, load func() (*invoice.Invoice, *ANAFFacts, error), opts ...Option) ([]byte, error) {
	release, err := g.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	inv, facts, err := load()
	if err != nil {
		return nil, err
	}
	if err := g.Check(inv); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := PDF(&buf, inv, facts, opts...); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Check returns a *TooLargeError when inv has more lines than the limit.
func (g *Guard) Check(inv *invoice.Invoice) error {
	if inv != nil && len(inv.Lines) > g.maxLines {
		return &TooLargeError{Lines: len(inv.Lines), Limit: g.maxLines}
	}
	return nil
}
