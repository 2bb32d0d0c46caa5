package anafsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// ValidatedWith names the profile and rules version archived invoices are
// validated with (store.InvoiceValidation.ValidatedWith). Change it when
// a new ANAF rules bundle (or a validator fix that changes verdicts) is
// built in: every invoice validated with another value is validated again
// by the validate_archive job at the next start.
const ValidatedWith = validate.ProfileRO + " " + validate.RulesVersion

// MaxReportFindings bounds each list (errors, warnings) kept in a stored
// report; the counts stay exact.
const MaxReportFindings = 200

// Finding is one fired rule in a stored report (validate.Error without the
// XPath location, to keep the report small).
type Finding struct {
	ID      string `json:"id"`
	Flag    string `json:"flag"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	BT      string `json:"bt,omitempty"`
	LineID  string `json:"invoice_line,omitempty"`
}

// Report is the compact report stored with a verdict
// (store.InvoiceValidation.Report, JSON).
type Report struct {
	Profile  string    `json:"profile"`
	DocType  string    `json:"doctype,omitempty"`
	Errors   []Finding `json:"errors"`
	Warnings []Finding `json:"warnings"`
	// Truncated: a list had more than MaxReportFindings findings; only the
	// first ones are kept.
	Truncated bool `json:"truncated,omitempty"`
	// Failure is why the validator failed (state "failed").
	Failure string `json:"failure,omitempty"`
}

// Verdict validates the UBL document of an archived ANAF ZIP with the
// ro profile and returns the verdict to store. It never fails: a ZIP
// without a UBL invoice (ANAF's error list, a buyer message, an
// unreadable ZIP) is store.ValidationNotApplicable, and a validator
// failure (an error or a panic) is store.ValidationFailed with the reason
// in the report. documentType is the archive row's document_type.
func Verdict(zipBytes []byte, messageType, documentType string) (v *store.InvoiceValidation) {
	if messageType == store.TypeErrors || documentType == invoice.DocumentTypeANAFErrors {
		return &store.InvoiceValidation{ValidatedWith: ValidatedWith, State: store.ValidationNotApplicable}
	}
	arch, err := invoice.ReadArchive(zipBytes)
	return verdictOf(arch, err, messageType, documentType)
}

// verdictOf is Verdict of an archive already read (arch and err as
// invoice.ReadArchive returned them).
func verdictOf(arch *invoice.Archive, err error, messageType, documentType string) (v *store.InvoiceValidation) {
	v = &store.InvoiceValidation{ValidatedWith: ValidatedWith}
	if messageType == store.TypeErrors || documentType == invoice.DocumentTypeANAFErrors {
		v.State = store.ValidationNotApplicable
		return v
	}
	if err != nil {
		v.State = store.ValidationNotApplicable
		return v
	}
	defer func() {
		if p := recover(); p != nil {
			v = failedVerdict(fmt.Errorf("validator panic: %v", p))
		}
	}()
	rep, err := validate.Validate(arch.Document, validate.ProfileRO)
	if err != nil {
		return failedVerdict(err)
	}
	if rep.DocType != "Invoice" && rep.DocType != "CreditNote" {
		// Not XML, or XML that is no UBL invoice (a buyer message).
		v.State = store.ValidationNotApplicable
		return v
	}
	v.State = store.ValidationValid
	if !rep.Valid {
		v.State = store.ValidationInvalid
	}
	v.Errors, v.Warnings = len(rep.Errors), len(rep.Warnings)
	out := Report{Profile: rep.Profile, DocType: rep.DocType}
	out.Errors, out.Truncated = findings(rep.Errors)
	var cut bool
	out.Warnings, cut = findings(rep.Warnings)
	out.Truncated = out.Truncated || cut
	if v.Report, err = json.Marshal(out); err != nil {
		return failedVerdict(err)
	}
	return v
}

func findings(es []validate.Error) ([]Finding, bool) {
	cut := len(es) > MaxReportFindings
	es = es[:min(len(es), MaxReportFindings)]
	out := make([]Finding, len(es))
	for i, e := range es {
		out[i] = Finding{ID: e.ID, Flag: e.Flag, Line: e.Line, Message: e.Message, BT: e.BT, LineID: e.LineID}
	}
	return out, cut
}

func failedVerdict(err error) *store.InvoiceValidation {
	rep, _ := json.Marshal(Report{Profile: validate.ProfileRO, Errors: []Finding{}, Warnings: []Finding{}, Failure: err.Error()})
	return &store.InvoiceValidation{State: store.ValidationFailed, Report: rep, ValidatedWith: ValidatedWith}
}

// verdictFor validates a fetched invoice (verdict.go: never fails the
// sync); a ZIP reused from another company's archive takes that copy's
// verdict when it has one. The verdict is stored with the row
// (store.ArchiveBatch).
func (e *Engine) verdictFor(ctx context.Context, inv *store.Invoice, arch *invoice.Archive, archErr error, reused bool) *store.InvoiceValidation {
	var v *store.InvoiceValidation
	if reused {
		v, _ = e.Store.MessageValidation(ctx, inv.ANAFID, ValidatedWith)
		if v != nil && v.State == store.ValidationNotApplicable && inv.MessageType != store.TypeErrors {
			v = nil // decided by the other copy's message type: decide again
		}
		if v != nil {
			v.ValidatedAt = nil // validated now, for this row
		}
	}
	if v == nil {
		v = verdictOf(arch, archErr, inv.MessageType, inv.DocumentType)
	}
	return v
}

// ArchiveValidation selects the invoices ValidateArchive validates.
type ArchiveValidation struct {
	CompanyID int64 // 0: every company
	// All validates every selected invoice again; otherwise only those
	// not validated with ValidatedWith.
	All bool
	// Deadline stops the walk (Done false) once passed; zero: none.
	Deadline time.Time
	// Batch is how many rows are read per query (default 200); each ZIP
	// is then read alone.
	Batch int
	// Progress, when set, is told the counts after each batch.
	Progress func(ValidationCounts)
}

// ValidationCounts are what a walk of the archive did.
type ValidationCounts struct {
	Checked       int
	Valid         int
	Invalid       int
	NotApplicable int
	Failed        int
	Warnings      int  // sum over the checked invoices
	Done          bool // nothing selected is left
}

// ValidateArchive validates archived invoices in id order, in batches,
// storing each verdict as it goes: the rows' state is the progress, so a
// walk stopped (deadline, crash, shutdown) continues where it stopped
// when run again (All walks restart from the first id).
func ValidateArchive(ctx context.Context, st *store.Store, o ArchiveValidation) (*ValidationCounts, error) {
	c := &ValidationCounts{}
	var after int64
	// The archive-wide walk takes any invoices still needing validation
	// (store.InvoicesToValidate): seen guards against rows coming back
	// (another process validating with other rules, as in a rolling
	// upgrade) so the walk always ends.
	ordered := o.All || o.CompanyID != 0
	seen := map[int64]bool{}
	for {
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		if !o.Deadline.IsZero() && time.Now().After(o.Deadline) {
			return c, nil
		}
		batch, err := st.InvoicesToValidate(ctx, store.ValidationScan{Current: ValidatedWith, CompanyID: o.CompanyID, All: o.All, AfterID: after, Limit: o.Batch})
		if err != nil {
			return c, err
		}
		if len(batch) == 0 {
			c.Done = true
			return c, nil
		}
		fresh := 0
		for _, t := range batch {
			if !ordered {
				if seen[t.ID] {
					continue
				}
				seen[t.ID] = true
			}
			fresh++
			if err := validateOne(ctx, st, t, c); err != nil {
				return c, err
			}
			after = t.ID
			if !o.Deadline.IsZero() && time.Now().After(o.Deadline) {
				break
			}
		}
		if o.Progress != nil {
			o.Progress(*c)
		}
		if fresh == 0 {
			c.Done = true
			return c, nil
		}
	}
}

func validateOne(ctx context.Context, st *store.Store, t store.ValidationTarget, c *ValidationCounts) error {
	zip, err := st.InvoiceZIP(ctx, t.CompanyID, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	v := Verdict(zip, t.MessageType, t.DocumentType)
	if err := st.SetInvoiceValidation(ctx, t.ID, v); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	c.Checked++
	c.Warnings += v.Warnings
	switch v.State {
	case store.ValidationValid:
		c.Valid++
	case store.ValidationInvalid:
		c.Invalid++
	case store.ValidationNotApplicable:
		c.NotApplicable++
	case store.ValidationFailed:
		c.Failed++
	}
	return nil
}
