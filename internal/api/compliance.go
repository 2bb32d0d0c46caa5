package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// The compliance endpoints (issue 20, part 1): the key's company's sent
// invoices checked against their deadline and their numbering.

// complianceMeta is the company and the period checked.
type complianceMeta struct {
	CompanyCIF string `json:"company_cif"`
	CompanyID  int64  `json:"company_id"`
	From       string `json:"from"`
	To         string `json:"to"`
}

type complianceResponse[T any] struct {
	Data T              `json:"data"`
	Meta complianceMeta `json:"meta"`
}

// sentRefJSON names a sent invoice: its archived row and/or its upload.
type sentRefJSON struct {
	InvoiceID     *int64 `json:"invoice_id"`
	UploadID      *int64 `json:"upload_id"`
	SellerCIF     string `json:"seller_cif"`
	InvoiceNumber string `json:"invoice_number"`
	IssueDate     string `json:"issue_date"`
}

type deadlineRowJSON struct {
	sentRefJSON
	Deadline    string     `json:"deadline"`
	Regime      string     `json:"regime"`
	SubmittedAt *time.Time `json:"submitted_at"`
	DaysLate    int        `json:"days_late"`
}

type deadlinesJSON struct {
	Checked int               `json:"checked"`
	OnTime  int               `json:"on_time"`
	Open    int               `json:"open"`
	Late    []deadlineRowJSON `json:"late"`
	Overdue []deadlineRowJSON `json:"overdue"`
}

type rangeJSON struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count uint64 `json:"count"`
}

type seriesJSON struct {
	SellerCIF        string      `json:"seller_cif"`
	Series           string      `json:"series"`
	Prefix           string      `json:"prefix"`
	Suffix           string      `json:"suffix"`
	FromYear         int         `json:"from_year"`
	ToYear           int         `json:"to_year"`
	Count            int         `json:"count"`
	First            string      `json:"first"`
	Last             string      `json:"last"`
	MissingCount     uint64      `json:"missing_count"`
	MissingTruncated bool        `json:"missing_truncated"`
	Missing          []rangeJSON `json:"missing"`
}

type repeatJSON struct {
	SellerCIF string        `json:"seller_cif"`
	Series    string        `json:"series"`
	Number    uint64        `json:"number"`
	Invoices  []sentRefJSON `json:"invoices"`
}

type numberingJSON struct {
	Pattern          string        `json:"pattern"`
	PatternIsDefault bool          `json:"pattern_is_default"`
	Checked          int           `json:"checked"`
	MissingCount     uint64        `json:"missing_count"`
	Series           []seriesJSON  `json:"series"`
	Repeats          []repeatJSON  `json:"repeats"`
	UnmatchedCount   int           `json:"unmatched_count"`
	Unmatched        []sentRefJSON `json:"unmatched"`
}

func idOrNull(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func sentRefOut(inv gateway.SentInvoice) sentRefJSON {
	return sentRefJSON{InvoiceID: idOrNull(inv.InvoiceID), UploadID: idOrNull(inv.UploadID), SellerCIF: inv.SellerCIF,
		InvoiceNumber: inv.Number, IssueDate: inv.IssueDate.Format(time.DateOnly)}
}

func deadlineRowsOut(rows []gateway.DeadlineRow) []deadlineRowJSON {
	out := make([]deadlineRowJSON, 0, len(rows))
	for _, d := range rows {
		row := deadlineRowJSON{sentRefJSON: sentRefOut(d.Invoice), Deadline: d.Due.Format(time.DateOnly),
			Regime: string(d.Regime), DaysLate: d.DaysLate}
		if !d.Submitted.IsZero() {
			t := d.Submitted.UTC()
			row.SubmittedAt = &t
		}
		out = append(out, row)
	}
	return out
}

// compliance runs the use case for the key's company and the query's period.
func (h *handler) compliance(w http.ResponseWriter, r *http.Request) (*gateway.ComplianceReport, complianceMeta, bool) {
	q := r.URL.Query()
	p := principalFrom(r.Context())
	rep, err := h.gw.Compliance(r.Context(), p.Principal, 0, strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to")))
	var ge *gateway.Error
	switch {
	case errors.Is(err, gateway.ErrUnverified):
		writeError(w, http.StatusConflict, "COMPANY_UNVERIFIED", "The key's company "+gateway.ErrUnverified.Msg+".")
		return nil, complianceMeta{}, false
	case errors.As(err, &ge) && ge.Kind == gateway.KindInvalid:
		writeError(w, http.StatusBadRequest, strings.ToUpper(ge.Code), ge.Msg)
		return nil, complianceMeta{}, false
	case err != nil:
		h.useCaseError(w, r, err)
		return nil, complianceMeta{}, false
	}
	return rep, complianceMeta{CompanyCIF: rep.Company.CIF, CompanyID: rep.Company.ID, From: rep.From, To: rep.To}, true
}

// complianceDeadlines is GET /api/v1/compliance/deadlines.
func (h *handler) complianceDeadlines(w http.ResponseWriter, r *http.Request) {
	rep, meta, ok := h.compliance(w, r)
	if !ok {
		return
	}
	d := rep.Deadlines
	writeJSON(w, http.StatusOK, complianceResponse[deadlinesJSON]{Meta: meta, Data: deadlinesJSON{
		Checked: d.Checked, OnTime: d.OnTime, Open: d.Open, Late: deadlineRowsOut(d.Late), Overdue: deadlineRowsOut(d.Overdue),
	}})
}

// complianceNumbering is GET /api/v1/compliance/numbering.
func (h *handler) complianceNumbering(w http.ResponseWriter, r *http.Request) {
	rep, meta, ok := h.compliance(w, r)
	if !ok {
		return
	}
	n := rep.Numbering
	out := numberingJSON{Pattern: rep.Pattern, PatternIsDefault: rep.PatternIsDefault, Checked: n.Checked,
		MissingCount: n.MissingCount(), Series: []seriesJSON{}, Repeats: []repeatJSON{}, UnmatchedCount: n.UnmatchedCount,
		Unmatched: []sentRefJSON{}}
	for _, s := range n.Series {
		sj := seriesJSON{SellerCIF: s.SellerCIF, Series: s.Series.Label(), Prefix: s.Series.Prefix, Suffix: s.Series.Suffix,
			FromYear: s.FromYear, ToYear: s.ToYear, Count: s.Count, First: s.First, Last: s.Last,
			MissingCount: s.MissingCount, MissingTruncated: s.MissingTruncated, Missing: []rangeJSON{}}
		for _, m := range s.Missing {
			sj.Missing = append(sj.Missing, rangeJSON{From: m.First, To: m.Last, Count: m.Count()})
		}
		out.Series = append(out.Series, sj)
	}
	for _, rp := range n.Repeats {
		rj := repeatJSON{SellerCIF: rp.SellerCIF, Series: rp.Series.Label(), Number: rp.Value}
		for _, inv := range rp.Invoices {
			rj.Invoices = append(rj.Invoices, sentRefOut(inv))
		}
		out.Repeats = append(out.Repeats, rj)
	}
	for _, inv := range n.Unmatched {
		out.Unmatched = append(out.Unmatched, sentRefOut(inv))
	}
	writeJSON(w, http.StatusOK, complianceResponse[numberingJSON]{Meta: meta, Data: out})
}

// spvJSON is the key's company's SPV 60-day edge (issue 20, part 3).
type spvJSON struct {
	CompanyCIF     string     `json:"company_cif"`
	CompanyID      int64      `json:"company_id"`
	AtRiskMessages int        `json:"at_risk_messages"`
	AtRiskAgeDays  int        `json:"at_risk_age_days"`
	LastSuccessAt  *time.Time `json:"last_successful_sync_at"`
	Stale          bool       `json:"stale"`
}

// complianceSPV is GET /api/v1/compliance/spv: the messages ANAF listed
// that are not archived and older than gateway.SPVAtRiskAge, and whether
// the last successful sync is so old that messages may already be lost.
func (h *handler) complianceSPV(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	rep, err := h.gw.SPVAtRisk(r.Context(), p.Principal, 0)
	if errors.Is(err, gateway.ErrUnverified) {
		writeError(w, http.StatusConflict, "COMPANY_UNVERIFIED", "The key's company "+gateway.ErrUnverified.Msg+".")
		return
	}
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	var last *time.Time
	if rep.LastSuccess != nil {
		t := rep.LastSuccess.UTC()
		last = &t
	}
	c := rep.Company
	writeJSON(w, http.StatusOK, map[string]spvJSON{"data": {CompanyCIF: c.CIF, CompanyID: c.ID, AtRiskMessages: rep.Messages,
		AtRiskAgeDays: int(gateway.SPVAtRiskAge / (24 * time.Hour)), LastSuccessAt: last, Stale: rep.Stale}})
}
