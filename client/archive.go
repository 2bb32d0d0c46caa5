package client

import (
	"context"
	"net/url"
	"time"
)

// ArchiveChain is the answer of GET /api/v1/archive: the company's
// tamper-evident archive chain.
type ArchiveChain struct {
	CompanyCIF        string      `json:"company_cif"`
	Length            int64       `json:"length"`
	HeadHash          string      `json:"head_hash"`
	AttestsSince      *time.Time  `json:"attests_since"`
	BackfilledEntries int64       `json:"backfilled_entries"`
	BackfilledAt      *time.Time  `json:"backfilled_at"`
	DailyHeads        []DailyHead `json:"daily_heads"`
}

// DailyHead is the chain's head recorded for a (UTC) day.
type DailyHead struct {
	Day       string    `json:"day"`
	Seq       int64     `json:"seq"`
	EntryHash string    `json:"entry_hash"`
	TakenAt   time.Time `json:"taken_at"`
}

// ArchiveChain calls GET /api/v1/archive.
func (c *Client) ArchiveChain(ctx context.Context) (*ArchiveChain, error) {
	var out ArchiveChain
	if err := c.getJSON(ctx, "/api/v1/archive", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChainHeads returns the daily heads as CSV (GET /api/v1/archive/heads),
// the file to keep elsewhere for `efactura verify-archive --heads`.
func (c *Client) ChainHeads(ctx context.Context) ([]byte, error) {
	return c.bytes(ctx, "/api/v1/archive/heads", nil)
}

// AuditPack returns the audit pack (a ZIP) of the invoices issued from
// from to to (yyyy-mm-dd, inclusive); lang "ro" (default) or "en" for the PDFs.
func (c *Client) AuditPack(ctx context.Context, from, to, lang string) ([]byte, error) {
	v := url.Values{"from": {from}, "to": {to}}
	if lang != "" {
		v.Set("lang", lang)
	}
	return c.bytes(ctx, "/api/v1/audit-pack", v)
}
