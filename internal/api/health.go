package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/version"
)

// healthResponse is GET /api/v1/health. Checks maps a dependency to
// "healthy", "unhealthy" or "degraded", and "company" (with a valid key)
// to a companyHealth.
type healthResponse struct {
	Checks    map[string]any `json:"checks"`
	Status    string         `json:"status"` // healthy | degraded | unhealthy
	Timestamp string         `json:"timestamp"`
	Version   string         `json:"version"`
}

// companyHealth is the key's company in health's checks.
type companyHealth struct {
	ANAFConnection     string          `json:"anaf_connection"`
	ANAFTokenExpiresAt *string         `json:"anaf_token_expires_at,omitempty"`
	AtRiskMessages     *int            `json:"at_risk_messages,omitempty"`
	CIF                string          `json:"cif"`
	LastSync           *lastSyncHealth `json:"last_sync"`
	Status             string          `json:"status"`
}

type lastSyncHealth struct {
	Error     string `json:"error,omitempty"`
	Failed    int    `json:"failed"`
	Found     int    `json:"found"`
	New       int    `json:"new"`
	StartedAt string `json:"started_at"`
	Status    string `json:"status"`
	Warning   string `json:"warning,omitempty"`
}

func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	deps, status, code := h.dependencies(ctx)
	checks := make(map[string]any, len(deps)+1)
	for k, v := range deps {
		checks[k] = v
	}
	if p := h.authOf(r).p; p != nil {
		checks["company"] = companyHealthJSON(h.gw.CompanyHealth(ctx, p))
	}
	writeJSON(w, code, healthResponse{
		Status:    status,
		Timestamp: time.Now().UTC().Format(time.RFC3339),
		Version:   version.Version,
		Checks:    checks,
	})
}

// healthCacheFor is how long health reuses its dependency checks: a
// probe every second or a load balancer polling many replicas no longer
// costs a database ping and a job-queue query per call.
const healthCacheFor = time.Second

// healthCache holds the last dependency checks of health.
type healthCache struct {
	mu     sync.Mutex
	at     time.Time
	checks map[string]string
	status string
	code   int
}

// dependencies checks the database and the required and degradable
// dependencies, or returns the checks of less than healthCacheFor ago.
func (h *handler) dependencies(ctx context.Context) (checks map[string]string, status string, code int) {
	c := &h.checks
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checks != nil && time.Since(c.at) < healthCacheFor {
		return c.checks, c.status, c.code
	}
	checks = map[string]string{}
	status, code = "healthy", http.StatusOK
	if err := h.gw.Ping(ctx); err != nil {
		checks["database"] = "unhealthy"
		status, code = "unhealthy", http.StatusServiceUnavailable
		h.Logger.Error("health: database", slog.String("error", err.Error()))
	} else {
		checks["database"] = "healthy"
	}
	for name, fn := range h.Checks {
		if err := fn(ctx); err != nil {
			checks[name] = "unhealthy"
			status, code = "unhealthy", http.StatusServiceUnavailable
		} else {
			checks[name] = "healthy"
		}
	}
	for name, fn := range h.Degradable {
		if err := fn(ctx); err != nil {
			checks[name] = "degraded"
			if status == "healthy" {
				status = "degraded"
			}
		} else {
			checks[name] = "healthy"
		}
	}
	c.at, c.checks, c.status, c.code = time.Now(), checks, status, code
	return checks, status, code
}

func companyHealthJSON(c *gateway.CompanyHealth) companyHealth {
	out := companyHealth{CIF: c.CIF, Status: c.Status, ANAFConnection: c.ANAFConnection, ANAFTokenExpiresAt: rfc3339(c.TokenExpiresAt)}
	if run := c.LastSync; run != nil {
		out.LastSync = &lastSyncHealth{Status: run.Status, StartedAt: run.StartedAt.UTC().Format(time.RFC3339),
			Found: run.Found, New: run.New, Failed: run.Failed, Error: run.Error, Warning: run.Warning}
		// Listed by ANAF but not archived, near its 60-day deletion (issue 4).
		atRisk := run.AtRisk
		out.AtRiskMessages = &atRisk
	}
	return out
}
