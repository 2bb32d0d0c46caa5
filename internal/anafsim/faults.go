package anafsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault kinds accepted by InjectFault and POST /__sim/faults.
const (
	FaultHTTP500      = "http500"       // HTTP 500 family-D JSON
	FaultHTTP503HTML  = "http503_html"  // HTTP 503 HTML page
	FaultWAFHTML      = "waf_html"      // HTTP 200 F5 "The requested URL was rejected" page
	FaultExpiredToken = "expired_token" // API: 401 invalid_token; token endpoint: 400 invalid_grant
	FaultQuota        = "quota"         // the endpoint's daily-limit business error (HTTP 200)
	FaultSlow         = "slow"          // wait DelayMS (default 2000) then answer normally
	FaultMalformedZip = "malformed_zip" // answer normally but truncate a ZIP body to half
	FaultEmptyBody    = "empty_body"    // HTTP 200 with no body
	FaultTechError    = "tech_error"    // upload/stareMesaj: "A aparut o eroare tehnica. Cod: 1814"
	FaultLostResponse = "lost_response" // do the work, then drop the connection
	FaultHTTP429      = "http429"       // HTTP 429 without Retry-After (ANAF's per-minute limit)
	FaultExpired      = "expired"       // descarcare: the 60-day retention text
	FaultOtherLayout  = "other_layout"  // descarcare: a valid ZIP of another layout (entries in a folder)
	// FaultInvalidToken: API: 401 invalid_token on every call of the
	// endpoint until ClearFaults (Count is ignored), whatever the token, a
	// freshly refreshed one too: ANAF refusing a token that has not expired.
	FaultInvalidToken = "invalid_token"
)

var faultKinds = map[string]bool{
	FaultHTTP500: true, FaultHTTP503HTML: true, FaultWAFHTML: true, FaultExpiredToken: true, FaultQuota: true,
	FaultSlow: true, FaultMalformedZip: true, FaultEmptyBody: true, FaultTechError: true, FaultLostResponse: true,
	FaultHTTP429: true, FaultExpired: true, FaultOtherLayout: true, FaultInvalidToken: true,
}

// Fault makes the next Count calls of Endpoint (the ANAF path's last segment,
// e.g. "descarcare", "listaMesajePaginatieFactura", "token") misbehave.
// DelayMS (milliseconds) is waited before any kind.
type Fault struct {
	Endpoint string `json:"endpoint"`
	Kind     string `json:"kind"`
	Count    int    `json:"count"` // default 1
	DelayMS  int    `json:"delay_ms,omitempty"`
}

// InjectFault queues f behind the faults already queued for its endpoint.
// Errors: missing endpoint or unknown kind.
func (s *Server) InjectFault(f Fault) error {
	if f.Endpoint == "" || !faultKinds[f.Kind] {
		return fmt.Errorf("anafsim: bad fault endpoint=%q kind=%q", f.Endpoint, f.Kind)
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[f.Endpoint] = append(s.faults[f.Endpoint], &f)
	return nil
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]*Fault{}
}

func (s *Server) takeFaultLocked(endpoint string) *Fault {
	q := s.faults[endpoint]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if f.Kind == FaultInvalidToken {
		c := *f
		return &c // persistent: stays queued until ClearFaults
	}
	f.Count--
	if f.Count <= 0 {
		s.faults[endpoint] = q[1:]
	}
	c := *f
	return &c
}

const wafPage = `<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1234567890123456789<br><br><a href='javascript:history.back();'>[Go Back]</a></body></html>`

// applyFault writes the fault's answer; false means "continue normally"
// (slow, malformed_zip, lost_response).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, endpoint string, f *Fault) bool {
	delay := time.Duration(f.DelayMS) * time.Millisecond
	if f.Kind == FaultSlow && delay == 0 {
		delay = 2 * time.Second
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch f.Kind {
	case FaultHTTP500:
		s.springError(w, http.StatusInternalServerError, "A aparut o eroare tehnica")
	case FaultHTTP503HTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>")
	case FaultWAFHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, wafPage)
	case FaultEmptyBody:
		w.WriteHeader(http.StatusOK)
	case FaultExpiredToken, FaultInvalidToken:
		if endpoint == "token" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Refresh Token status is expired")
		} else {
			unauthorized(w)
		}
	case FaultQuota:
		s.quotaAnswer(w, r, endpoint)
	case FaultHTTP429:
		s.springError(w, http.StatusTooManyRequests, "Too Many Requests")
	case FaultExpired:
		eroare(w, titluDescarc, "%s", expiredText)
	case FaultOtherLayout:
		return s.otherLayoutAnswer(w, r)
	case FaultTechError:
		date := s.now().In(bucharest).Format(creareLayout)
		switch endpoint {
		case "stareMesaj":
			headerXML(w, nsStare, nil, "A aparut o eroare tehnica. Cod: 1814")
		case "listaMesajeFactura", "listaMesajePaginatieFactura":
			eroare(w, titluLista, "A aparut o eroare tehnica. Cod: 1814")
		case "descarcare":
			eroare(w, titluDescarc, "A aparut o eroare tehnica. Cod: 1814")
		case "validare", "transformare":
			writeValidare(w, "A aparut o eroare tehnica. Cod: 1814")
		case "signature":
			writeJSON(w, http.StatusBadRequest, map[string]string{"msg": "A aparut o eroare tehnica. Cod: 1814"})
		default:
			headerXML(w, nsUpload, []string{"dateResponse", date, "ExecutionStatus", "1"}, "A aparut o eroare tehnica. Cod: 1814")
		}
	default:
		return false
	}
	return true
}

// quotaAnswer writes the endpoint's daily-limit answer with ANAF's text
// (API.md §7); endpoints without a daily quota get HTTP 429.
func (s *Server) quotaAnswer(w http.ResponseWriter, r *http.Request, endpoint string) {
	switch endpoint {
	case "descarcare":
		eroare(w, titluDescarc, "S-au facut deja %d descarcari de mesaj in cursul zilei", s.opts.DownloadsPerDay)
	case "stareMesaj":
		headerXML(w, nsStare, nil, fmt.Sprintf("S-au facut deja %d descarcari de mesaj in cursul zilei", s.opts.StatusPerDay))
	case "upload", "uploadb2c":
		date := s.now().In(bucharest).Format(creareLayout)
		headerXML(w, nsUpload, []string{"dateResponse", date, "ExecutionStatus", "1"},
			fmt.Sprintf("S-au incarcat deja %d de mesaje de tip RASP pentru cui=%s in cursul zile", s.opts.RASPPerDay, r.URL.Query().Get("cif")))
	case "listaMesajeFactura":
		eroare(w, titluLista, "S-au facut deja %d interogari de lista mesaje de catre utilizator in cursul zilei", s.opts.ListPerDay)
	case "listaMesajePaginatieFactura":
		eroare(w, titluLista, "S-au facut deja %d interogari de lista mesaje de catre utilizator in cursul zilei", s.opts.PaginatedPerDay)
	default:
		w.Header().Set("Retry-After", "60")
		s.springError(w, http.StatusTooManyRequests, "Too Many Requests")
	}
}

// Stats is the body of GET /__sim/stats. Endpoint keys are ANAF's endpoint
// names: upload, uploadb2c, stareMesaj, listaMesajeFactura,
// listaMesajePaginatieFactura, descarcare, validare, transformare,
// signature (/api/validate/signature), hello (TestOauth), authorize, token,
// revoke; /test/ and /prod/ together.
type Stats struct {
	Calls map[string]int `json:"calls"` // endpoint → calls, faulted ones included
	// OKCalls counts answers that delivered what was asked: a list, a ZIP, a
	// status, an upload index, a validation verdict, a PDF, a signature
	// verdict, a token pair; not eroare/Errors answers nor faulted ones.
	OKCalls  map[string]int `json:"ok_calls"`
	Messages map[string]int `json:"messages"` // CIF → messages listable now (last 60 days)
	// MaxDownloadsPerMessage is the highest number of successful downloads
	// of any one download id.
	MaxDownloadsPerMessage int            `json:"max_downloads_per_message"`
	Downloads              map[string]int `json:"downloads"` // download id → successful downloads
}

// Stats returns call, message and download counters (since New or the last Reset).
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processDueLocked()
	st := Stats{Calls: map[string]int{}, OKCalls: map[string]int{}, Messages: map[string]int{}, Downloads: map[string]int{}}
	for _, m := range s.st.Messages {
		if s.listableLocked(m) {
			st.Messages[m.CIF]++
		}
	}
	for k, v := range s.calls {
		st.Calls[k] = v
	}
	for k, v := range s.okCalls {
		st.OKCalls[k] = v
	}
	for k, v := range s.downloads {
		st.Downloads[k] = v
		st.MaxDownloadsPerMessage = max(st.MaxDownloadsPerMessage, v)
	}
	return st
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handlePostFaults(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil {
		http.Error(w, "bad fault JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.InjectFault(f); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "count": strconv.Itoa(max(f.Count, 1))})
}

func (s *Server) handleDeleteFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}
