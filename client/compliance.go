package client

import (
	"context"
	"net/url"
	"time"
)

// The compliance endpoints (docs/compliance.md, "Deadlines and numbering").

// ComplianceMeta is the company and the period a check covers.
type ComplianceMeta struct {
	CompanyCIF string `json:"company_cif"`
	CompanyID  int64  `json:"company_id"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// SentInvoiceRef names a sent invoice: its archived row and/or its upload.
type SentInvoiceRef struct {
	InvoiceID     *int64 `json:"invoice_id"`
	UploadID      *int64 `json:"upload_id"`
	SellerCIF     string `json:"seller_cif"`
	InvoiceNumber string `json:"invoice_number"`
	IssueDate     string `json:"issue_date"`
}

// DeadlineRow is a sent invoice late (or overdue) against its deadline.
type DeadlineRow struct {
	SentInvoiceRef
	Deadline    string     `json:"deadline"`
	Regime      string     `json:"regime"` // 5_calendar_days | 5_working_days
	SubmittedAt *time.Time `json:"submitted_at"`
	DaysLate    int        `json:"days_late"`
}

// Deadlines is GET /api/v1/compliance/deadlines's data.
type Deadlines struct {
	Checked int           `json:"checked"`
	OnTime  int           `json:"on_time"`
	Open    int           `json:"open"`
	Late    []DeadlineRow `json:"late"`
	Overdue []DeadlineRow `json:"overdue"`
}

// MissingRange is a run of missing numbers, written as the series writes them.
type MissingRange struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count uint64 `json:"count"`
}

// NumberingSeries is one run of one numbering series.
type NumberingSeries struct {
	SellerCIF        string         `json:"seller_cif"`
	Series           string         `json:"series"`
	Prefix           string         `json:"prefix"`
	Suffix           string         `json:"suffix"`
	FromYear         int            `json:"from_year"`
	ToYear           int            `json:"to_year"`
	Count            int            `json:"count"`
	First            string         `json:"first"`
	Last             string         `json:"last"`
	MissingCount     uint64         `json:"missing_count"`
	MissingTruncated bool           `json:"missing_truncated"`
	Missing          []MissingRange `json:"missing"`
}

// NumberingRepeat is one number used by several invoices.
type NumberingRepeat struct {
	SellerCIF string           `json:"seller_cif"`
	Series    string           `json:"series"`
	Number    uint64           `json:"number"`
	Invoices  []SentInvoiceRef `json:"invoices"`
}

// Numbering is GET /api/v1/compliance/numbering's data.
type Numbering struct {
	Pattern          string            `json:"pattern"`
	PatternIsDefault bool              `json:"pattern_is_default"`
	Checked          int               `json:"checked"`
	MissingCount     uint64            `json:"missing_count"`
	Series           []NumberingSeries `json:"series"`
	Repeats          []NumberingRepeat `json:"repeats"`
	UnmatchedCount   int               `json:"unmatched_count"`
	Unmatched        []SentInvoiceRef  `json:"unmatched"`
}

func period(from, to string) url.Values {
	v := url.Values{}
	if from != "" {
		v.Set("from", from)
	}
	if to != "" {
		v.Set("to", to)
	}
	return v
}

// ComplianceDeadlines calls GET /api/v1/compliance/deadlines for the sent
// invoices issued from from to to (YYYY-MM-DD; "" for the server's default).
func (c *Client) ComplianceDeadlines(ctx context.Context, from, to string) (*Deadlines, *ComplianceMeta, error) {
	var out struct {
		Data Deadlines      `json:"data"`
		Meta ComplianceMeta `json:"meta"`
	}
	if err := c.getJSON(ctx, "/api/v1/compliance/deadlines", period(from, to), &out); err != nil {
		return nil, nil, err
	}
	return &out.Data, &out.Meta, nil
}

// ComplianceNumbering calls GET /api/v1/compliance/numbering for the sent
// invoices issued from from to to (YYYY-MM-DD; "" for the server's default).
func (c *Client) ComplianceNumbering(ctx context.Context, from, to string) (*Numbering, *ComplianceMeta, error) {
	var out struct {
		Data Numbering      `json:"data"`
		Meta ComplianceMeta `json:"meta"`
	}
	if err := c.getJSON(ctx, "/api/v1/compliance/numbering", period(from, to), &out); err != nil {
		return nil, nil, err
	}
	return &out.Data, &out.Meta, nil
}

// SPVEdge is the key's company's SPV 60-day edge (GET /api/v1/compliance/spv).
type SPVEdge struct {
	CompanyCIF           string     `json:"company_cif"`
	CompanyID            int64      `json:"company_id"`
	AtRiskMessages       int        `json:"at_risk_messages"`
	AtRiskAgeDays        int        `json:"at_risk_age_days"`
	LastSuccessfulSyncAt *time.Time `json:"last_successful_sync_at"`
	Stale                bool       `json:"stale"`
}

// ComplianceSPV calls GET /api/v1/compliance/spv: the messages ANAF listed
// that are not archived and near its 60-day limit, and whether the last
// successful sync is so old that messages may already be lost.
func (c *Client) ComplianceSPV(ctx context.Context) (*SPVEdge, error) {
	var out struct {
		Data SPVEdge `json:"data"`
	}
	if err := c.getJSON(ctx, "/api/v1/compliance/spv", nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}
