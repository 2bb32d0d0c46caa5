// Package anafsim is an HTTP server that speaks ANAF's e-Factura protocol
// (OAuth2 authorize/token/revoke and the FCTEL/rest endpoints), keeps state,
// and serves messages made from loaded UBL invoices. Tests and the demo use
// it in place of ANAF; `efactura anaf-sim` runs it on its own.
//
// Routes (paths exactly as ANAF's, so a client changes only scheme+host):
//
//	GET/POST /anaf-oauth2/v1/authorize   consent page / decision (logincert.anaf.ro)
//	POST     /anaf-oauth2/v1/token       authorization_code, refresh_token grants
//	POST     /anaf-oauth2/v1/revoke      RFC 7009 token or EFGO access_token/refresh_token
//	GET      /{test,prod}/FCTEL/rest/listaMesajeFactura, listaMesajePaginatieFactura,
//	         descarcare, stareMesaj;  POST .../upload, .../uploadb2c
//	POST     .../validare/{FACT1|FCN}, .../transformare/{std}[/DA], /api/validate/signature
//	         (Bearer optional: without it, the public webservicesp form)
//	GET      /TestOauth/jaxrs/hello?name=
//	POST/DELETE /__sim/faults, GET /__sim/stats, POST /__sim/reset  (simulator control, no auth)
//
// Grants (which CIFs a token may act for), quotas, the 60-day window,
// asynchronous upload processing, RASP buyer messages and injected faults
// (X-Sim-Fault header, Options.FaultRate, POST /__sim/faults) are described
// in docs/anaf-sim.md.
//
// The texts, error families and HTTP statuses follow /work/shared/anaf/API.md.
// Every clock read goes through Options.Now. All state sits behind one mutex.
package anafsim

import (
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults of Options fields left zero.
const (
	DefaultPageSize        = 500                  // listaMesajePaginatieFactura page size
	DefaultListLimit       = 500                  // listaMesajeFactura cap
	DefaultDownloadsPerDay = 10                   // descarcare per id per day
	DefaultStatusPerDay    = 100                  // stareMesaj per upload index per day
	DefaultAccessTTL       = 90 * 24 * time.Hour  // access JWT lifetime
	DefaultRefreshTTL      = 365 * 24 * time.Hour // refresh JWT lifetime
	DefaultCodeTTL         = 60 * time.Second     // authorization code lifetime
	DefaultListPerDay      = 1500                 // listaMesajeFactura per CIF per day
	DefaultPaginatedPerDay = 100000               // listaMesajePaginatieFactura per CIF per day
	DefaultRASPPerDay      = 1000                 // upload standard=RASP per CIF per day
	DefaultRatePerMinute   = 1000                 // e-Factura REST calls per minute → HTTP 429
	DefaultHang            = 65 * time.Second     // how long a "timeout" fault holds the answer
	DefaultRASPTipSeller   = "MESAJ CUMPARATOR PRIMIT"
	DefaultRASPTipBuyer    = "MESAJ CUMPARATOR TRANSMIS"
	DefaultSerial          = "34:00:00:25:69:aa:bb:cc:dd:00:25:69"
	loadSpread             = 50 * 24 * time.Hour // data_creare spread of loaded files
	loadRecent             = 5 * time.Minute     // a loaded file's data_creare is at least this old at its first load
	retention              = 60 * 24 * time.Hour // listable/downloadable period
)

// Options configures a simulator. Zero values pick ANAF's documented behaviour.
type Options struct {
	// StateDir, when set, persists state (messages, signing key, grants,
	// tokens, the first-load time of each file) under this directory so a
	// restart keeps tokens and message ids valid. Empty: memory only.
	// Files: StateDir/state.json (written atomically) and StateDir/docs/<sha256>.xml.
	StateDir     string
	ClientID     string // accepted OAuth client; empty accepts any
	ClientSecret string
	AutoApprove  bool             // authorize redirects at once instead of showing a consent page
	Now          func() time.Time // clock; default time.Now

	// RedirectURIs, when non-empty, are the registered callback URLs; authorize
	// with any other redirect_uri redirects back with error=access_denied.
	RedirectURIs []string
	// RightsCIFs, when non-empty, restricts the fake certificate holder to these
	// CIFs. Empty: rights on every CIF known to the simulator (from loaded or
	// uploaded documents, KnownCIFs and AddCIFs).
	RightsCIFs []string
	// KnownCIFs are CIFs known from the start (useful to upload on an empty simulator).
	KnownCIFs []string
	// Serial is the certificate serial put in JWTs and list answers; default DefaultSerial.
	Serial string

	PageSize        int           // listaMesajePaginatieFactura page size; default 500
	ListLimit       int           // listaMesajeFactura cap; default 500
	DownloadsPerDay int           // descarcare limit per id per day; default 10
	StatusPerDay    int           // stareMesaj limit per index per day; default 100
	ProcessingDelay time.Duration // upload → messages delay; default 0 (immediate)
	AccessTTL       time.Duration // default 90 days
	RefreshTTL      time.Duration // default 365 days
	// KeepOldRefreshToken keeps a refresh token valid after it was used
	// (default false: a refresh invalidates the refresh token it consumed).
	KeepOldRefreshToken bool
	// Reject, when set, is called for each parsable upload; a non-empty result
	// makes the upload nok with that text as its ERORI FACTURA error.
	Reject func(doc []byte) string
	// RejectAll, when set, is called for each parsable invoice upload (and
	// validare); every text it returns is one error of the upload's
	// ERORI FACTURA file (one <Error> element each, as ANAF lists several
	// fired rules). NativeRejections is the native validator's.
	RejectAll func(doc []byte) []string
	// Logger receives skipped files and persistence errors; default slog.Default().
	Logger *slog.Logger

	// NoQuotas lifts every quota and the per-minute rate limit (`--quotas off`).
	NoQuotas        bool
	ListPerDay      int // listaMesajeFactura calls per CIF per day; default 1500
	PaginatedPerDay int // listaMesajePaginatieFactura calls per CIF per day; default 100000
	RASPPerDay      int // RASP uploads per CIF per day; default 1000
	RatePerMinute   int // e-Factura REST calls per minute (all endpoints together) before HTTP 429; default 1000

	// FaultRate (0..1) is the probability that an e-Factura REST call gets a
	// random transient fault (500, 502, 504, hang, truncated body, malformed
	// ZIP), drawn from a generator seeded with Seed. Never on OAuth or /__sim/*.
	FaultRate float64
	Seed      int64
	// Latency is added before every e-Factura REST answer.
	Latency time.Duration
	// Hang is how long a "timeout" fault holds the answer before answering
	// normally (the request's context ends it earlier); default 65s.
	Hang time.Duration

	// RASPTipSeller and RASPTipBuyer are the tip of MESAJ CUMPARATOR messages
	// in the seller's and the buyer's list; defaults DefaultRASPTipSeller and
	// DefaultRASPTipBuyer (API.md §4 lists both; set both to the combined
	// "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS" to mimic that reading).
	RASPTipSeller string
	RASPTipBuyer  string
	// ExecutareCIFs are the CIFs in "Registrul RO e-Factura executari silite":
	// upload with executare=DA is refused for any other cif.
	ExecutareCIFs []string
}

// Server is a running simulator's state and handler. Safe for concurrent use.
type Server struct {
	opts   Options
	logger *slog.Logger

	mu        sync.Mutex
	st        *state
	docs      map[string][]byte // sha256 hex → bytes (file 1 of archives)
	codes     map[string]*authCode
	faults    map[string][]*Fault
	calls     map[string]int
	daily     map[string]int // quota counters "kind|key|yyyy-mm-dd"
	downloads map[string]int // download id → successful downloads
	okCalls   map[string]int // endpoint → answers that delivered what was asked
	minute    int64          // current rate-limit minute (Unix minutes)
	inMinute  int            // REST calls in that minute
	rng       *rand.Rand     // random faults
	loaded    []loadedFile   // every LoadFile since New, replayed by Reset
	// indexes of st rebuilt by indexLocked
	loadedHash map[string]bool    // doc sha256 of loaded files
	pending    map[string]*upload // uploads not processed yet
	key        ed25519.PrivateKey
	cert       []byte // DER self-signed certificate of key
}

// New builds a simulator, loading persisted state from opts.StateDir when present.
// Errors: unreadable/corrupt state, StateDir not creatable.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.ListLimit <= 0 {
		opts.ListLimit = DefaultListLimit
	}
	if opts.DownloadsPerDay <= 0 {
		opts.DownloadsPerDay = DefaultDownloadsPerDay
	}
	if opts.StatusPerDay <= 0 {
		opts.StatusPerDay = DefaultStatusPerDay
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.Serial == "" {
		opts.Serial = DefaultSerial
	}
	if opts.ListPerDay <= 0 {
		opts.ListPerDay = DefaultListPerDay
	}
	if opts.PaginatedPerDay <= 0 {
		opts.PaginatedPerDay = DefaultPaginatedPerDay
	}
	if opts.RASPPerDay <= 0 {
		opts.RASPPerDay = DefaultRASPPerDay
	}
	if opts.RatePerMinute <= 0 {
		opts.RatePerMinute = DefaultRatePerMinute
	}
	if opts.Hang <= 0 {
		opts.Hang = DefaultHang
	}
	if opts.RASPTipSeller == "" {
		opts.RASPTipSeller = DefaultRASPTipSeller
	}
	if opts.RASPTipBuyer == "" {
		opts.RASPTipBuyer = DefaultRASPTipBuyer
	}
	s := &Server{
		opts:      opts,
		logger:    opts.Logger,
		docs:      map[string][]byte{},
		codes:     map[string]*authCode{},
		faults:    map[string][]*Fault{},
		calls:     map[string]int{},
		daily:     map[string]int{},
		downloads: map[string]int{},
		okCalls:   map[string]int{},
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	st, err := s.loadState()
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = newState()
		seed := sha256.Sum256([]byte("anafsim: simulated Ministry of Finance signing key v1"))
		st.SigningSeed = seed[:]
		st.JWTSecret = make([]byte, 32)
		if _, err := crand.Read(st.JWTSecret); err != nil {
			return nil, fmt.Errorf("anafsim: jwt secret: %w", err)
		}
	}
	s.st = st
	s.indexLocked()
	for _, c := range opts.KnownCIFs {
		s.st.Known[c] = true
	}
	if len(st.SigningSeed) != ed25519.SeedSize {
		return nil, errors.New("anafsim: state has a bad signing seed")
	}
	s.key = ed25519.NewKeyFromSeed(st.SigningSeed)
	if s.cert, err = selfSignedCert(s.key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close persists state. The server stays usable (Close is idempotent).
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked()
}

// AddCIFs makes CIFs known to the simulator (the certificate holder then has
// rights on them unless Options.RightsCIFs restricts it).
func (s *Server) AddCIFs(cifs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cifs {
		s.st.Known[c] = true
	}
	s.persistLocked()
}

// CIFs returns every CIF that has at least one message, with its count.
func (s *Server) CIFs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processDueLocked()
	out := map[string]int{}
	for _, m := range s.st.Messages {
		if m.ListedFor == "" {
			out[m.CIF]++
		}
	}
	return out
}

// LoadDir loads every *.xml / *.XML UBL file of dir (not recursive, sorted by
// name) as messages. Returns how many files became messages (a file already
// loaded earlier counts). Files that cannot be read or parsed are skipped,
// logged at warn level, and reported in the returned error (errors.Join of
// one error per skipped file); the count is valid even when err != nil.
func (s *Server) LoadDir(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("anafsim: load dir: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var errs []error
	n := 0
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			err = s.LoadFile(name, data)
		}
		if err != nil {
			s.logger.Warn("anafsim: skipped file", "file", name, "err", err)
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// LoadFile loads one UBL document (name is used in logs and errors only): it
// becomes a FACTURA TRIMISA message for the seller's CIF and a FACTURA PRIMITA
// message for the buyer's CIF, sharing one download id and one upload index,
// all derived from the content so the same bytes always give the same
// messages. data_creare lies within the 50 days before the first time this
// content was loaded (remembered in state). Loading the same content again is
// a no-op. Errors: the document does not parse or neither party has a CIF.
func (s *Server) LoadFile(name string, data []byte) error {
	d, err := parseDoc(data)
	if err != nil {
		return fmt.Errorf("anafsim: %s: %w", name, err)
	}
	if d.SellerCIF == "" && d.BuyerCIF == "" {
		return fmt.Errorf("anafsim: %s: neither seller nor buyer has a Romanian CIF", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = append(s.loaded, loadedFile{data: data, info: d})
	s.loadLocked(data, d)
	s.persistLocked()
	return nil
}

// loadedFile is a document given to LoadFile, kept for Reset.
type loadedFile struct {
	data []byte
	info *docInfo
}

// Reset brings the simulator back to its just-started state: messages,
// uploads and archives rebuilt from the files loaded since New (same ids and
// dates: first-load times are kept), tokens, grants and pending codes
// dropped, call/download/quota counters and queued faults cleared. The
// signing key and the JWT secret stay. Served as POST /__sim/reset.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	st := newState()
	st.SigningSeed, st.JWTSecret, st.FirstLoad = old.SigningSeed, old.JWTSecret, old.FirstLoad
	for _, c := range s.opts.KnownCIFs {
		st.Known[c] = true
	}
	s.st = st
	s.indexLocked()
	s.codes = map[string]*authCode{}
	s.faults = map[string][]*Fault{}
	s.calls = map[string]int{}
	s.okCalls = map[string]int{}
	s.daily = map[string]int{}
	s.downloads = map[string]int{}
	s.minute, s.inMinute = 0, 0
	s.rng = rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x5eed))
	for _, f := range s.loaded {
		s.loadLocked(f.data, f.info)
	}
	s.persistLocked()
}

func (s *Server) now() time.Time { return s.opts.Now() }
