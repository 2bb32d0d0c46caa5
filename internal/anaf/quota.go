package anaf

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// QuotaWindow is the period a quota counter covers: [Start, End).
type QuotaWindow struct {
	Start time.Time
	End   time.Time
}

// QuotaLimiter counts calls against a limit. Reserve takes one unit of the
// counter named key for window w: ok is true and the unit is spent when
// fewer than limit units were taken in w, false (nothing spent) when the
// limit is reached. A counter whose stored window is older than w starts
// again at zero. Implementations must be safe for concurrent use and
// atomic (two concurrent Reserves never both take the last unit).
//
// Implementations: NewMemoryQuota (one process), QuotaTakeFunc over
// store.QuotaTake (shared by every replica on the same database), and
// UnlimitedQuota (accounting off, for benchmarks).
type QuotaLimiter interface {
	Reserve(ctx context.Context, key string, limit int, w QuotaWindow) (ok bool, err error)
}

// QuotaTakeFunc adapts a function with the shape of store.QuotaTake
// (atomic SQL upsert, see internal/store/quota.go) to a QuotaLimiter, so
// the client never imports the store: Config{Quota: anaf.QuotaTakeFunc(st.QuotaTake)}.
type QuotaTakeFunc func(ctx context.Context, key string, limit int, windowStart, windowEnd time.Time) (used int, ok bool, err error)

// Reserve calls f with w's bounds.
func (f QuotaTakeFunc) Reserve(ctx context.Context, key string, limit int, w QuotaWindow) (bool, error) {
	_, ok, err := f(ctx, key, limit, w.Start, w.End)
	return ok, err
}

type unlimited struct{}

func (unlimited) Reserve(context.Context, string, int, QuotaWindow) (bool, error) { return true, nil }

// UnlimitedQuota is a QuotaLimiter that allows everything: it turns the
// client's own quota accounting off (benchmarks against the simulator with
// --quotas off). ANAF's own quota answers are still mapped to ErrQuota.
var UnlimitedQuota QuotaLimiter = unlimited{}

// MemoryQuota is an in-process QuotaLimiter: one counter per key, reset
// when a later window is asked for. Counters whose window ended are
// dropped as the map grows. Share one MemoryQuota between every Client of
// a process (New gives each Client its own when Config.Quota is nil).
type MemoryQuota struct {
	mu       sync.Mutex
	counters map[string]*memoryCounter
}

type memoryCounter struct {
	w    QuotaWindow
	used int
}

// memorySweepAt is the map size at which ended windows are dropped.
const memorySweepAt = 4096

// NewMemoryQuota returns an empty in-memory limiter.
func NewMemoryQuota() *MemoryQuota {
	return &MemoryQuota{counters: map[string]*memoryCounter{}}
}

// Reserve implements QuotaLimiter. It never returns an error.
func (m *MemoryQuota) Reserve(_ context.Context, key string, limit int, w QuotaWindow) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counters[key]
	if c == nil {
		if len(m.counters) >= memorySweepAt {
			m.sweep(w.Start)
		}
		c = &memoryCounter{w: w}
		m.counters[key] = c
	}
	if w.Start.After(c.w.Start) {
		c.w, c.used = w, 0
	}
	if c.used >= limit {
		return false, nil
	}
	c.used++
	return true, nil
}

// Used returns the units taken for key in its current window (tests, status pages).
func (m *MemoryQuota) Used(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.counters[key]; c != nil {
		return c.used
	}
	return 0
}

// sweep drops counters whose window ended before now.
func (m *MemoryQuota) sweep(now time.Time) {
	for k, c := range m.counters {
		if !c.w.End.After(now) {
			delete(m.counters, k)
		}
	}
}

// Published ANAF limits (API.md §7), the defaults of QuotaLimits.
const (
	DefaultPerMinute                 = 1000   // all api.anaf.ro calls, per minute (HTTP 429 above)
	DefaultListPerCIFPerDay          = 1500   // listaMesajeFactura, per CUI per day
	DefaultListPagedPerCIFPerDay     = 100000 // listaMesajePaginatieFactura, per CUI per day
	DefaultRASPUploadsPerCIFPerDay   = 1000   // upload with standard=RASP, per CUI per day
	DefaultStatusPerUploadPerDay     = 10     // stareMesaj per id_incarcare per day: LIM says 10, BEE/STORNO 100; the stricter reading
	DefaultDownloadsPerMessagePerDay = 10     // descarcare per download id per day
)

// QuotaLimits are the limits the client enforces on itself before calling
// ANAF. A zero field takes its Default* value; a negative field turns that
// counter off. Daily counters follow the calendar day in DayLocation
// (default Europe/Bucharest: ANAF does not document its day boundary, and
// local midnight is the reading its own texts, "in cursul zilei", suggest).
// The per-minute counter is a fixed calendar minute (UTC), counted over
// every REST, hello, validare, transformare and signature call (not the
// OAuth token/revoke calls, which go to logincert.anaf.ro).
type QuotaLimits struct {
	PerMinute                 int
	ListPerCIFPerDay          int
	ListPagedPerCIFPerDay     int
	RASPUploadsPerCIFPerDay   int
	StatusPerUploadPerDay     int
	DownloadsPerMessagePerDay int
	DayLocation               *time.Location
}

// DefaultQuotaLimits returns ANAF's published limits (API.md §7) with the
// stricter reading where sources disagree (stareMesaj: 10 per day).
func DefaultQuotaLimits() QuotaLimits {
	return QuotaLimits{}.withDefaults()
}

func (q QuotaLimits) withDefaults() QuotaLimits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&q.PerMinute, DefaultPerMinute)
	def(&q.ListPerCIFPerDay, DefaultListPerCIFPerDay)
	def(&q.ListPagedPerCIFPerDay, DefaultListPagedPerCIFPerDay)
	def(&q.RASPUploadsPerCIFPerDay, DefaultRASPUploadsPerCIFPerDay)
	def(&q.StatusPerUploadPerDay, DefaultStatusPerUploadPerDay)
	def(&q.DownloadsPerMessagePerDay, DefaultDownloadsPerMessagePerDay)
	if q.DayLocation == nil {
		q.DayLocation = Bucharest()
	}
	return q
}

// quotaUse is one counter a call spends.
type quotaUse struct {
	quota Quota
	key   string // counter name, e.g. "descarcare|3012345671"
	scope string // human description of the key, e.g. "download id 3012345671"
	limit int    // negative: not counted
	daily bool   // calendar day in DayLocation; else calendar minute
}

// Counter names (keys are "<quota>|<id>"; the per-minute one is "rate").
// They do not include the environment: whether ANAF counts test and prod
// separately is not documented, so the stricter reading shares them.
func (c *Client) useList(cif string) quotaUse {
	return quotaUse{QuotaList, string(QuotaList) + "|" + cif, "CIF " + cif, c.limits.ListPerCIFPerDay, true}
}

func (c *Client) useListPaged(cif string) quotaUse {
	return quotaUse{QuotaListPaged, string(QuotaListPaged) + "|" + cif, "CIF " + cif, c.limits.ListPagedPerCIFPerDay, true}
}

func (c *Client) useStatus(uploadID string) quotaUse {
	return quotaUse{QuotaStatus, string(QuotaStatus) + "|" + uploadID, "upload index " + uploadID, c.limits.StatusPerUploadPerDay, true}
}

func (c *Client) useDownload(id string) quotaUse {
	return quotaUse{QuotaDownload, string(QuotaDownload) + "|" + id, "download id " + id, c.limits.DownloadsPerMessagePerDay, true}
}

func (c *Client) useRASP(cif string) quotaUse {
	return quotaUse{QuotaUploadRASP, string(QuotaUploadRASP) + "|" + cif, "CIF " + cif, c.limits.RASPUploadsPerCIFPerDay, true}
}

// window returns the current window of u.
func (c *Client) window(u quotaUse, now time.Time) QuotaWindow {
	if !u.daily {
		s := now.UTC().Truncate(time.Minute)
		return QuotaWindow{Start: s, End: s.Add(time.Minute)}
	}
	l := now.In(c.limits.DayLocation)
	s := time.Date(l.Year(), l.Month(), l.Day(), QuotaResetHour, 0, 0, 0, c.limits.DayLocation)
	e := time.Date(l.Year(), l.Month(), l.Day()+1, QuotaResetHour, 0, 0, 0, c.limits.DayLocation)
	return QuotaWindow{Start: s.UTC(), End: e.UTC()}
}

// reserve spends one unit of the per-minute counter, then of each use, in
// that order; the first refusal is returned as a local *Error of
// KindQuota (units already taken are not given back: the accounting errs
// on the side of spending less at ANAF). A limiter failure is returned
// wrapped as a local KindTransient error: without the accounting the
// client does not call ANAF.
func (c *Client) reserve(ctx context.Context, endpoint string, uses []quotaUse) error {
	now := c.cfg.Now()
	all := append([]quotaUse{{QuotaRate, string(QuotaRate), "all ANAF API calls", c.limits.PerMinute, false}}, uses...)
	for _, u := range all {
		if u.limit < 0 {
			continue
		}
		w := c.window(u, now)
		ok, err := c.quota.Reserve(ctx, u.key, u.limit, w)
		if err != nil {
			if ctx.Err() != nil {
				return &Error{Kind: KindCanceled, Endpoint: endpoint, Local: true, Err: fmt.Errorf("quota accounting: %w", err)}
			}
			return &Error{Kind: KindTransient, Endpoint: endpoint, Local: true,
				Text: "The gateway could not check its own ANAF quota accounting, so ANAF was not called.",
				Err:  fmt.Errorf("quota accounting: %w", err)}
		}
		if !ok {
			return c.localQuotaError(endpoint, u, w, now)
		}
	}
	return nil
}

func (c *Client) localQuotaError(endpoint string, u quotaUse, w QuotaWindow, now time.Time) *Error {
	per := "minute"
	reset := w.End.UTC().Format("2006-01-02 15:04:05 UTC")
	if u.daily {
		per = "day (calendar day, " + c.limits.DayLocation.String() + ")"
		reset = w.End.In(c.limits.DayLocation).Format("2006-01-02 15:04 MST")
	}
	what := fmt.Sprintf("ANAF allows %d %s calls per %s for %s", u.limit, u.quota, per, u.scope)
	if !u.daily {
		what = fmt.Sprintf("ANAF allows %d API calls per minute in all", u.limit)
	}
	return &Error{
		Kind: KindQuota, Endpoint: endpoint, Quota: u.quota, Limit: u.limit, Local: true,
		ResetAt: w.End.UTC(), RetryAfter: max(w.End.Sub(now), 0),
		Text: "The gateway's own quota accounting refused this call before contacting ANAF: " +
			what + ", and they have been spent; the count resets at " + reset + ".",
	}
}
