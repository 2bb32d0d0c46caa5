package api

import (
	"encoding/json"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// validationJSON is the invoice detail's "validation": the native
// validator's verdict on the archived invoice (docs/validation.md, "Synced
// invoices"). State is pending until the invoice is validated.
type validationJSON struct {
	State         string          `json:"state"` // pending | valid | invalid | not_applicable | failed
	Errors        int             `json:"errors"`
	Warnings      int             `json:"warnings"`
	ValidatedWith *string         `json:"validated_with"` // "ro 1.0.9"
	ValidatedAt   *string         `json:"validated_at"`   // RFC 3339 UTC
	Report        json.RawMessage `json:"report"`         // the stored report; null when none
}

func toValidationJSON(v *gateway.Verdict) validationJSON {
	out := validationJSON{State: v.State, Errors: v.Errors, Warnings: v.Warnings,
		ValidatedWith: nullable(v.ValidatedWith), Report: json.RawMessage("null")}
	if out.State == gateway.VerdictPending {
		out.State = "pending"
	}
	if v.ValidatedAt != nil {
		at := v.ValidatedAt.UTC().Format(time.RFC3339)
		out.ValidatedAt = &at
	}
	if len(v.RawReport) > 0 {
		out.Report = v.RawReport
	}
	return out
}
