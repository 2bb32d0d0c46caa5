package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// InvoiceRisk are the supplier risk flags of a received invoice (the
// gateway's docs/compliance.md, Supplier risk flags).
type InvoiceRisk struct {
	Checked    bool       `json:"checked"`     // the gateway has checked the invoice
	VATPending bool       `json:"vat_pending"` // ANAF's VAT-payer service has not answered yet
	NextTryAt  *time.Time `json:"next_try_at"`
	Unchecked  int        `json:"unchecked"` // flags nobody marked checked
	Flags      []RiskFlag `json:"flags"`
}

// RiskFlag is one flag: Code (supplier_inactive, iban_changed, …),
// Severity high | warning | info, Details by code.
type RiskFlag struct {
	Code       string            `json:"code"`
	Severity   string            `json:"severity"`
	Details    map[string]string `json:"details"`
	ComputedAt time.Time         `json:"computed_at"`
	CheckedAt  *time.Time        `json:"checked_at"`
}

// MarkRiskChecked marks the invoice's unchecked risk flags checked (only
// code's when code is not ""); a write key. It returns how many it marked
// and the flags now.
func (c *Client) MarkRiskChecked(ctx context.Context, id int64, code string) (int, *InvoiceRisk, error) {
	path := "/api/v1/invoices/" + strconv.FormatInt(id, 10) + "/risk/checked"
	if code != "" {
		path += "?" + url.Values{"code": {code}}.Encode()
	}
	body, _, err := c.do(ctx, http.MethodPost, path, nil)
	if err != nil {
		return 0, nil, err
	}
	var out struct {
		Data struct {
			Marked int         `json:"marked"`
			Risk   InvoiceRisk `json:"risk"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, nil, fmt.Errorf("efactura api: risk checked: %w", err)
	}
	return out.Data.Marked, &out.Data.Risk, nil
}
