package anafsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// access says how a route is authenticated and whether transport faults,
// latency and the per-minute limit apply to it.
type access int

const (
	accessOAuth  access = iota // logincert: client credentials in the handler; never faulted
	accessHello                // TestOauth: Bearer required; never faulted
	accessREST                 // FCTEL/rest: Bearer required; faults, latency, rate limit
	accessPublic               // validare, transformare, signature: Bearer optional (public form without it)
)

// Values of the X-Sim-Fault request header (e-Factura REST endpoints only).
const (
	SimFault500      = "500"      // HTTP 500 family-D JSON
	SimFault502      = "502"      // HTTP 502 HTML page (gateway)
	SimFault504      = "504"      // HTTP 504 HTML page (gateway)
	SimFaultTimeout  = "timeout"  // hold the answer Options.Hang (or until the client gives up), then answer normally
	SimFaultTruncate = "truncate" // send half of the body under the full Content-Length, then cut the connection
	SimFaultBadZip   = "badzip"   // a ZIP body cut to half its length, sent as a complete answer
	SimFaultQuota    = "quota"    // the endpoint's daily-limit answer (ANAF's text)
	SimFaultExpired  = "expired"  // HTTP 401 invalid_token, as for an expired token
	SimFaultNoRights = "norights" // the endpoint's no-rights answer (ANAF's text)
)

// FaultHeader is the request header that asks for one exact fault.
const FaultHeader = "X-Sim-Fault"

var simFaults = map[string]bool{
	SimFault500: true, SimFault502: true, SimFault504: true, SimFaultTimeout: true, SimFaultTruncate: true,
	SimFaultBadZip: true, SimFaultQuota: true, SimFaultExpired: true, SimFaultNoRights: true,
}

// randomFaults are the transient faults drawn by Options.FaultRate.
var randomFaults = []string{SimFault500, "502", SimFault504, SimFaultTimeout, SimFaultTruncate, SimFaultBadZip}

type ctxKey int

const (
	tokenKey ctxKey = iota
	okKey
)

// tokenOf returns the access token record of an authenticated call (nil for
// a public call without a token).
func tokenOf(r *http.Request) *tokenRec {
	t, _ := r.Context().Value(tokenKey).(*tokenRec)
	return t
}

// markOK records that the answer delivered what was asked (counted in
// Stats.OKCalls unless a fault spoils it).
func markOK(r *http.Request) {
	if p, _ := r.Context().Value(okKey).(*bool); p != nil {
		*p = true
	}
}

// sleepCtx waits d or until ctx ends; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// rateLimitedLocked counts a REST call in the current wall-clock minute and
// reports whether it exceeds Options.RatePerMinute.
func (s *Server) rateLimitedLocked() (bool, int) {
	if s.opts.NoQuotas {
		return false, 0
	}
	now := time.Now()
	m := now.Unix() / 60
	if m != s.minute {
		s.minute, s.inMinute = m, 0
	}
	s.inMinute++
	return s.inMinute > s.opts.RatePerMinute, int(60 - now.Unix()%60)
}

// endpoint wraps a route: counts the call, applies a queued fault (POST
// /__sim/faults; any route), then for REST routes the latency, the
// per-minute limit and a header or random fault, checks the Bearer token,
// and counts the call in OKCalls when the handler delivered what was asked.
func (s *Server) endpoint(name string, acc access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rest := acc == accessREST || acc == accessPublic
		s.mu.Lock()
		s.calls[name]++
		f := s.takeFaultLocked(name)
		var tf string
		limited, retry := false, 0
		if rest {
			limited, retry = s.rateLimitedLocked()
			tf = r.Header.Get(FaultHeader)
			if tf == "" && s.opts.FaultRate > 0 && s.rng.Float64() < s.opts.FaultRate {
				tf = randomFaults[s.rng.IntN(len(randomFaults))]
			}
		}
		s.mu.Unlock()
		if rest && s.opts.Latency > 0 && !sleepCtx(r.Context(), s.opts.Latency) {
			return
		}
		if limited {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			s.springError(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		if f != nil {
			if done := s.applyFault(w, r, name, f); done {
				return
			}
		}
		if tf != "" && !simFaults[tf] {
			http.Error(w, "anafsim: unknown "+FaultHeader+" value "+strconv.Quote(tf), http.StatusBadRequest)
			return
		}
		switch tf {
		case SimFault500:
			s.springError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		case SimFault502, SimFault504:
			code, _ := strconv.Atoi(tf)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			_, _ = fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>", code, http.StatusText(code), http.StatusText(code))
			return
		case SimFaultExpired:
			unauthorized(w)
			return
		case SimFaultTimeout:
			if !sleepCtx(r.Context(), s.opts.Hang) {
				return
			}
		}
		var tok *tokenRec
		if acc != accessOAuth {
			s.mu.Lock()
			s.processDueLocked()
			ok := true
			if acc != accessPublic || r.Header.Get("Authorization") != "" {
				tok, ok = s.authLocked(r)
			}
			s.mu.Unlock()
			if !ok {
				unauthorized(w)
				return
			}
		}
		switch tf {
		case SimFaultQuota:
			s.quotaAnswer(w, r, name)
			return
		case SimFaultNoRights:
			s.noRightsAnswer(w, r, name)
			return
		}
		okFlag := new(bool)
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), tokenKey, tok), okKey, okFlag))
		corrupt := tf == SimFaultTruncate || tf == SimFaultBadZip ||
			(f != nil && (f.Kind == FaultMalformedZip || f.Kind == FaultLostResponse))
		if !corrupt {
			h(w, r)
			if *okFlag {
				s.mu.Lock()
				s.okCalls[name]++
				s.mu.Unlock()
			}
			return
		}
		rec := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
		h(rec, r)
		body := rec.buf.Bytes()
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		switch {
		case f != nil && f.Kind == FaultLostResponse:
			panic(http.ErrAbortHandler) // work done, connection dropped
		case tf == SimFaultTruncate:
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.status)
			_, _ = w.Write(body[:len(body)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler) // the client sees an unexpected EOF
		}
		if bytes.HasPrefix(body, []byte("PK")) {
			body = body[:len(body)/2]
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	}
}

// noRightsAnswer writes the endpoint's "no rights" business answer (X-Sim-Fault: norights).
func (s *Server) noRightsAnswer(w http.ResponseWriter, r *http.Request, endpoint string) {
	q := r.URL.Query()
	switch endpoint {
	case "descarcare":
		eroare(w, titluDescarc, "Nu aveti dreptul sa descarcati acesta factura")
	case "stareMesaj":
		headerXML(w, nsStare, nil, "Nu aveti dreptul de inteorgare pentru id_incarcare= "+q.Get("id_incarcare"))
	case "upload", "uploadb2c":
		date := s.now().In(bucharest).Format(creareLayout)
		headerXML(w, nsUpload, []string{"dateResponse", date, "ExecutionStatus", "1"}, "Nu aveti drept in SPV pentru CIF="+q.Get("cif"))
	case "listaMesajeFactura", "listaMesajePaginatieFactura":
		eroare(w, titluLista, "Nu aveti drept in SPV pentru CIF=%s", q.Get("cif"))
	default: // validare, transformare, signature: the public forms have no rights; answer like an unknown token
		unauthorized(w)
	}
}

type bufferedWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }

var _ io.Writer = (*bufferedWriter)(nil)
