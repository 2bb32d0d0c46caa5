package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// syncRunJSON is one sync run as the API shows it: the stored fields, times
// in RFC 3339 UTC (null when unset).
type syncRunJSON struct {
	ID          int64   `json:"id"`
	Status      string  `json:"status"` // queued | running | ok | ok_with_warnings | partial | failed
	StartedAt   string  `json:"started_at"`
	FinishedAt  *string `json:"finished_at"`
	WindowStart *string `json:"window_start"`
	WindowEnd   *string `json:"window_end"`
	Pages       int     `json:"pages"`
	TotalPages  int     `json:"total_pages"`
	Found       int     `json:"found"`
	New         int     `json:"new"`
	Failed      int     `json:"failed"`
	AtRisk      int     `json:"at_risk_messages"`
	Warning     string  `json:"warning,omitempty"`
	Error       string  `json:"error,omitempty"`
	ResumeAfter *string `json:"resume_after,omitempty"`
	// Issue 15: what the run met besides archiving (its warning says it in words).
	Kind          string  `json:"kind"` // incremental | relist
	Expired       int     `json:"expired_messages"`
	ExpiredText   string  `json:"expired_text,omitempty"`
	Deferred      int     `json:"deferred_messages"`
	DeferredUntil *string `json:"deferred_until,omitempty"`
	Foreign       int     `json:"foreign_messages"`
	ForeignCIFs   string  `json:"foreign_cifs,omitempty"`
	Duplicates    int     `json:"duplicate_messages"`
	Conflicts     int     `json:"conflict_messages"`
}

func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func syncRunOut(r *gateway.SyncRun) syncRunJSON {
	return syncRunJSON{
		ID: r.ID, Status: r.Status, StartedAt: r.StartedAt.UTC().Format(time.RFC3339), FinishedAt: rfc3339(r.FinishedAt),
		WindowStart: rfc3339(r.WindowStart), WindowEnd: rfc3339(r.WindowEnd), Pages: r.Pages, TotalPages: r.TotalPages,
		Found: r.Found, New: r.New, Failed: r.Failed, AtRisk: r.AtRisk, Warning: r.Warning, Error: r.Error,
		ResumeAfter: rfc3339(r.ResumeAfter),
		Kind:        r.Kind, Expired: r.Expired, ExpiredText: r.ExpiredText, Deferred: r.Deferred,
		DeferredUntil: rfc3339(r.DeferredUntil), Foreign: r.Foreign, ForeignCIFs: r.ForeignCIFs,
		Duplicates: r.Duplicates, Conflicts: r.Conflicts,
	}
}

// listSyncRuns serves GET /api/v1/sync: the key's company's recent sync
// runs, newest first: {"runs": [...]}; ?limit=N (1..100, default 20).
func (h *handler) listSyncRuns(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "INVALID_LIMIT", "limit must be a whole number from 1 to 100.")
			return
		}
		limit = n
	}
	runs, err := h.gw.SyncRuns(r.Context(), p.Principal, 0, limit)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	out := make([]syncRunJSON, 0, len(runs))
	for i := range runs {
		out = append(out, syncRunOut(&runs[i]))
	}
	writeJSON(w, http.StatusOK, runsResponse{Runs: out})
}

// startSync serves POST /api/v1/sync (scope write): queue a sync now and
// answer 202 with the run (the company's current run when one is already
// queued or running). A read key gets 403 INSUFFICIENT_SCOPE; without a
// job queue (no Deps.StartSync nor Gateway.SyncStarter) 503 SERVICE_UNAVAILABLE.
func (h *handler) startSync(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !requireScope(w, p, gateway.ScopeWrite) { // the route table requires it too
		return
	}
	run, err := h.gw.StartSync(r.Context(), p.Principal, 0)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/sync")
	writeJSON(w, http.StatusAccepted, syncRunOut(run))
}
