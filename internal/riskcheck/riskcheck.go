// Package riskcheck computes and stores the supplier risk flags of
// received invoices (issue 20, part 2): it picks invoices the checker has
// not seen (and those whose VAT lookup is due again), computes the
// history flags with internal/risk from the company's archive, asks ANAF's
// VAT-payer service about (supplier CUI, issue date) — each pair once,
// cached in vat_lookups — and stores the flags. An ANAF outage never
// blocks an invoice: its history flags are stored at once and the VAT
// lookup is retried later with a growing pause (Checker.RetryBase,
// doubling up to RetryMax). The jobs package runs Step periodically.
package riskcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/risk"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Defaults.
const (
	DefaultBatch     = 200
	DefaultRetryBase = 5 * time.Minute
	DefaultRetryMax  = 6 * time.Hour
	// NotFoundTTL is how long ANAF's "not found" is believed (it has
	// answered empty by mistake, VAT.md §6); found answers are kept.
	NotFoundTTL  = 6 * time.Hour
	historyLimit = 1000
)

// Options configure a Checker.
type Options struct {
	Store *store.Store
	// ANAF asks the VAT-payer service (LookupVAT); its Config.VATLimiter
	// paces the calls. Nil: no VAT lookups (history flags only; the VAT
	// part stays pending).
	ANAF   *anaf.Client
	Rules  risk.Config
	Logger *slog.Logger
	Now    func() time.Time
	// Batch is how many invoices one Step looks at (default DefaultBatch).
	Batch int
	// RetryBase is the first pause after a failed VAT lookup (default
	// DefaultRetryBase); it doubles per failure up to RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
}

// Checker computes risk flags.
type Checker struct{ o Options }

// New returns a Checker with defaults filled in.
func New(o Options) *Checker {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	return &Checker{o: o}
}

// Result counts what one Step did.
type Result struct {
	Checked    int   // invoices looked at
	Flags      int   // flags stored
	VATPending int   // invoices whose VAT lookup waits for a retry
	Lookups    int   // requests to ANAF's VAT service
	CacheHits  int   // (CUI, date) pairs answered from vat_lookups
	More       bool  // a full batch: call Step again
	VATErr     error // the VAT service's failure, if any (not a Step failure)
}

type pair struct{ cui, date string }

type vatAnswer struct {
	known  bool // the service answered (found or not)
	status risk.VATStatus
}

// Step checks one batch. Its error is a database failure; an ANAF
// failure is Result.VATErr, the invoices then wait for a retry.
func (c *Checker) Step(ctx context.Context) (Result, error) {
	var res Result
	now := c.o.Now().UTC()
	fresh, retry, err := c.o.Store.RiskCandidates(ctx, now, c.o.Batch)
	if err != nil {
		return res, err
	}
	res.More = len(fresh)+len(retry) >= c.o.Batch
	type item struct {
		row   *store.RiskRow
		inv   risk.Invoice
		fresh bool
		prev  *store.RiskCheck
		pair  pair
	}
	var items []item
	pairs := map[pair]bool{}
	ids := append(fresh, retry...)
	rows, err := c.o.Store.RiskInvoices(ctx, ids) // one query a batch, not one per invoice
	if err != nil {
		return res, err
	}
	for i, id := range ids {
		row, ok := rows[id]
		if !ok {
			continue // deleted meanwhile
		}
		it := item{row: row, inv: riskInvoice(row), fresh: i < len(fresh)}
		if !it.fresh {
			if it.prev, err = c.o.Store.RiskCheckOf(ctx, row.CompanyID, row.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return res, err
			}
		}
		if cui, err := cif.Normalize(row.SupplierCIF); err == nil && cif.ValidCheckDigit(cui) && row.IssueDate != "" {
			it.pair = pair{cui, row.IssueDate}
			pairs[it.pair] = true
		}
		items = append(items, it)
	}
	answers, err := c.vat(ctx, pairs, &res)
	if err != nil {
		return res, err
	}
	// A supplier's history is the same for every invoice of it in the
	// step: read and decoded once (issue 16: up to historyLimit rows, each
	// with its parsed JSON, per invoice was a sixth of a sync's CPU).
	hists := map[histKey][]risk.Invoice{}
	// Stored in one transaction a batch (a commit per invoice was most of
	// a first sync's checking time on PostgreSQL).
	batch := make([]store.RiskSave, 0, len(items))
	for _, it := range items {
		var flags []risk.Flag
		if it.fresh {
			hist, err := c.historyOnce(ctx, it.row, hists)
			if err != nil {
				return res, err
			}
			flags = risk.History(c.o.Rules, it.row.CompanyCIF, it.inv, hist)
		}
		check := &store.RiskCheck{InvoiceID: it.row.ID, CompanyID: it.row.CompanyID, ComputedAt: now, VATDone: true}
		switch a, ok := answers[it.pair]; {
		case it.pair == pair{}:
			// A foreign or unreadable supplier CIF: nothing to ask ANAF.
		case ok && a.known:
			if !it.inv.Duplicate {
				flags = append(flags, risk.VAT(it.inv, a.status)...)
			}
		default:
			check.VATDone = false
			if it.prev != nil {
				check.Attempts = it.prev.Attempts
			}
			check.Attempts++
			next := now.Add(c.backoff(check.Attempts))
			check.NextTryAt = &next
			check.LastError = "ANAF's VAT-payer service did not answer"
			if res.VATErr != nil {
				check.LastError = res.VATErr.Error()
			}
			res.VATPending++
		}
		stored := make([]store.RiskFlag, 0, len(flags))
		for _, f := range flags {
			details, err := json.Marshal(f.Details)
			if err != nil {
				return res, fmt.Errorf("riskcheck: details: %w", err)
			}
			stored = append(stored, store.RiskFlag{Code: f.Code, Details: details})
		}
		batch = append(batch, store.RiskSave{Check: check, Flags: stored})
	}
	if err := c.o.Store.SaveRiskChecks(ctx, batch); err != nil {
		return res, err
	}
	for _, b := range batch {
		res.Checked++
		res.Flags += len(b.Flags)
	}
	return res, nil
}

func (c *Checker) backoff(attempts int) time.Duration {
	d := c.o.RetryBase
	for i := 1; i < attempts && d < c.o.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.o.RetryMax)
}

// histKey names a history: the company and the supplier's CIF.
type histKey struct {
	companyID int64
	supplier  string
}

// historyOnce is history, read once per company and supplier into seen.
func (c *Checker) historyOnce(ctx context.Context, row *store.RiskRow, seen map[histKey][]risk.Invoice) ([]risk.Invoice, error) {
	k := histKey{row.CompanyID, row.SupplierCIF}
	if h, ok := seen[k]; ok {
		return h, nil
	}
	h, err := c.history(ctx, row)
	if err == nil {
		seen[k] = h
	}
	return h, err
}

func (c *Checker) history(ctx context.Context, row *store.RiskRow) ([]risk.Invoice, error) {
	if row.SupplierCIF == "" {
		return nil, nil
	}
	rows, err := c.o.Store.RiskHistory(ctx, row.CompanyID, row.SupplierCIF, historyLimit)
	if err != nil {
		return nil, err
	}
	out := make([]risk.Invoice, 0, len(rows))
	for i := range rows {
		out = append(out, riskInvoice(&rows[i]))
	}
	return out, nil
}

// riskInvoice reads what the rules need of a stored invoice.
func riskInvoice(r *store.RiskRow) risk.Invoice {
	inv := risk.Invoice{ID: r.ID, Number: r.Number, IssueDate: r.IssueDate, Currency: r.Currency,
		Total: dec(r.Total), VAT: dec(r.VAT), Duplicate: r.DuplicateOf != 0}
	// Only what the rules read: decoding the whole document (its lines
	// above all) for every row of a supplier's history was a third of the
	// checks' CPU.
	var parsed struct {
		Buyer        invoice.Party          `json:"buyer"`
		VATBreakdown []invoice.VATSubtotal  `json:"vat_breakdown"`
		PaymentMeans []invoice.PaymentMeans `json:"payment_means"`
	}
	if len(r.ParsedJSON) > 0 && json.Unmarshal(r.ParsedJSON, &parsed) == nil {
		for _, pm := range parsed.PaymentMeans {
			if pm.IBAN != "" {
				inv.IBANs = append(inv.IBANs, pm.IBAN)
			}
		}
		for _, v := range parsed.VATBreakdown {
			if v.Rate != "" {
				inv.VATRates = append(inv.VATRates, v.Rate)
			}
		}
		inv.BuyerCIF = invoice.PartyCIF(parsed.Buyer)
	}
	return inv
}

func dec(s string) decimal.Decimal {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Zero
	}
	return d
}

// vat answers each pair from vat_lookups or ANAF (≤ 100 a request). After
// ANAF's first failure the remaining pairs stay unanswered (res.VATErr):
// an outage is not hammered.
func (c *Checker) vat(ctx context.Context, pairs map[pair]bool, res *Result) (map[pair]vatAnswer, error) {
	out := map[pair]vatAnswer{}
	var missing []pair
	for p := range pairs {
		l, err := c.o.Store.VATLookup(ctx, p.cui, p.date)
		switch {
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, p)
		case err != nil:
			return nil, err
		case !l.Found && c.o.Now().Sub(l.FetchedAt) > NotFoundTTL:
			missing = append(missing, p)
		default:
			res.CacheHits++
			out[p] = answerOf(l, p.date)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if c.o.ANAF == nil {
		res.VATErr = errors.New("no VAT-payer client configured")
		return out, nil
	}
	for start := 0; start < len(missing); start += anaf.VATMaxQueries {
		chunk := missing[start:min(start+anaf.VATMaxQueries, len(missing))]
		qs := make([]anaf.VATQuery, len(chunk))
		for i, p := range chunk {
			qs[i] = anaf.VATQuery{CUI: p.cui, Date: p.date}
		}
		res.Lookups++
		a, err := c.o.ANAF.LookupVAT(ctx, qs)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			res.VATErr = err
			c.o.Logger.Warn("VAT-payer lookup failed; the invoices' VAT checks wait for a retry",
				slog.Int("pairs", len(missing)-start), slog.String("error", err.Error()))
			return out, nil
		}
		for _, p := range chunk {
			l := &store.VATLookup{CUI: p.cui, Date: p.date}
			if r, ok := findRecord(a, p); ok {
				l.Found = true
				if l.Answer, err = json.Marshal(r); err != nil {
					return nil, fmt.Errorf("riskcheck: %w", err)
				}
			}
			if err := c.o.Store.PutVATLookup(ctx, l); err != nil {
				return nil, err
			}
			out[p] = answerOf(l, p.date)
		}
	}
	return out, nil
}

// findRecord finds the record of p: by CUI and date (one request may ask
// about one CUI at several dates), else by CUI alone.
func findRecord(a *anaf.VATAnswer, p pair) (anaf.VATRecord, bool) {
	for _, r := range a.Found {
		if r.CUI == p.cui && r.Date == p.date {
			return r, true
		}
	}
	return a.Lookup(p.cui)
}

func answerOf(l *store.VATLookup, date string) vatAnswer {
	if !l.Found {
		return vatAnswer{known: true, status: risk.VATStatus{Date: date}}
	}
	var r anaf.VATRecord
	if json.Unmarshal(l.Answer, &r) != nil {
		return vatAnswer{} // unreadable cache row: ask again later
	}
	return vatAnswer{known: true, status: Status(r, date)}
}

// Status turns a VAT-payer record into what the rules read.
func Status(r anaf.VATRecord, date string) risk.VATStatus {
	st := risk.VATStatus{
		Found: true, Date: date, Name: r.Name,
		Inactive: r.Status.Inactive, InactiveSince: r.Status.Since,
		VATRegistered: r.VATRegistered,
		CashVAT:       r.CashVAT.Applies, CashVATSince: r.CashVAT.Start,
		SplitVAT:      r.Split.Applies,
		EFacturaKnown: r.EFacturaKnown, InEFacturaReg: r.EFacturaRegister,
	}
	if p, ok := r.PeriodAt(date); ok {
		st.VATPeriodStart = p.Start
	}
	return st
}

// Taxpayer returns ANAF's VAT-payer record of cui (digits) at date
// (YYYY-MM-DD), from vat_lookups or one request (then cached); found is
// false when ANAF does not know the CUI. Errors: the service's (*anaf.Error,
// e.g. ErrTransient while it is down) or the database's.
func (c *Checker) Taxpayer(ctx context.Context, cui, date string) (rec *anaf.VATRecord, found bool, err error) {
	res := &Result{}
	p := pair{cui, date}
	answers, err := c.vat(ctx, map[pair]bool{p: true}, res)
	if err != nil {
		return nil, false, err
	}
	if res.VATErr != nil {
		return nil, false, res.VATErr
	}
	a, ok := answers[p]
	if !ok || !a.known {
		return nil, false, errors.New("riskcheck: no answer")
	}
	if !a.status.Found {
		return nil, false, nil
	}
	l, err := c.o.Store.VATLookup(ctx, cui, date)
	if err != nil {
		return nil, false, err
	}
	var r anaf.VATRecord
	if err := json.Unmarshal(l.Answer, &r); err != nil {
		return nil, false, fmt.Errorf("riskcheck: cached answer: %w", err)
	}
	return &r, true, nil
}
