// Package anafsim is an HTTP server that speaks ANAF's e-Factura protocol
// (OAuth2 authorize/token/revoke and the FCTEL/rest endpoints), keeps state,
// and serves messages made from loaded UBL invoices. Tests and the demo use
// it in place of ANAF; `efactura anaf-sim` runs it on its own.
package anafsim

import (
	"net/http"
	"time"
)

// Options configures a simulator.
type Options struct {
	// StateDir, when set, persists state (messages, signing key, grants,
	// tokens, the first-load time of each file) under this directory so a
	// restart keeps tokens and message ids valid. Empty: memory only.
	StateDir     string
	ClientID     string // accepted OAuth client; empty accepts any
	ClientSecret string
	AutoApprove  bool             // authorize redirects at once instead of showing a consent page
	Now          func() time.Time // clock; default time.Now
}

// Server is a running simulator's state and handler.
type Server struct {
	opts Options
}

// New builds a simulator, loading persisted state from opts.StateDir when present.
func New(opts Options) (*Server, error) { panic("TODO") }

// Handler serves every simulator route.
func (s *Server) Handler() http.Handler { panic("TODO") }

// LoadDir loads every *.xml / *.XML UBL file of dir (not recursive) as messages.
// Returns how many files became messages.
func (s *Server) LoadDir(dir string) (int, error) { panic("TODO") }

// LoadFile loads one UBL document (name is used in logs only).
func (s *Server) LoadFile(name string, data []byte) error { panic("TODO") }

// CIFs returns every CIF that has at least one message, with its count.
func (s *Server) CIFs() map[string]int { panic("TODO") }

// Close persists state.
func (s *Server) Close() error { return nil }
