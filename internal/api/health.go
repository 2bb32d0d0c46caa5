package api

import (
	"context"
	"log/slog"
	"net/http"
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
	checks := map[string]any{}
	status := "healthy"
	code := http.StatusOK
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
