// Package anafsync synchronises a company's ANAF messages into the archive:
// list every page of listaMesajePaginatieFactura over the window since the
// last successful sync, download each message not yet archived exactly
// once, parse it, and store ZIP, parsed data and ANAF's metadata in one
// transaction, idempotent on (company, ANAF message id).
//
// Only messages ANAF lists for the company's own CIF are stored. Transient
// failures are retried with Engine.Retry; a 401 triggers at most one token
// refresh per run; refreshes of one user are serialised so concurrent syncs
// never spend the same refresh token twice; a refused refresh marks the
// connection reconnect_needed and is audited (anaf.refresh_failed).
package anafsync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Overlap is how far before the end of the last synced window a new
// window starts, so messages ANAF publishes late are not missed.
const Overlap = 10 * time.Minute

// refreshMargin: an access token expiring within this is refreshed first.
const refreshMargin = 24 * time.Hour

// MaxRedownloads is how many extra times a message is downloaded in one run
// when ANAF's answer is not a readable ZIP (truncated, or not shaped like
// API.md §5). descarcare allows 10 downloads per message per day, so the
// budget is small. When the budget is spent, the last unreadable bytes are
// archived as they are, with ParseError set; when the client kept no bytes
// (anaf.ErrMalformed) the message counts as failed and the next run tries again.
const MaxRedownloads = 2

// DefaultRetry is the policy for transient download failures (5xx,
// firewall pages, resets) used when Engine.Retry is the zero value.
var DefaultRetry = anaf.RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second}

// SyncPartial is the sync_runs status of a run that archived what it could
// while some messages failed (store.SyncOK and store.SyncFailed are the others).
const SyncPartial = "partial"

// ErrNoConnection means no member of the company has a usable ANAF connection.
var ErrNoConnection = errors.New("no member of this company has a connected ANAF account: connect one on the ANAF page")

// ErrReconnectNeeded means the ANAF refresh failed; the user must connect again.
var ErrReconnectNeeded = errors.New("the ANAF connection expired and could not be refreshed: reconnect on the ANAF page")

// ErrBusy means the company is already being synchronised.
var ErrBusy = errors.New("a sync of this company is already running")

// Progress is reported while a sync runs.
type Progress struct {
	Phase  string // "listing" | "downloading" | "done"
	Found  int    // messages listed in the window
	Todo   int    // messages not yet archived
	Done   int    // of Todo, processed so far
	New    int
	Failed int
}

// Result summarises one sync run.
type Result struct {
	RunID    int64
	Found    int // messages listed
	New      int // archived by this run
	Failed   int // could not be downloaded or stored (retried next run)
	Reused   int // ZIPs taken from the archive of another company instead of downloading
	Start    time.Time
	End      time.Time
	Duration time.Duration
}

// Engine runs syncs. Safe for concurrent use; one sync per company at a time
// in this process, and token refreshes serialised per user.
type Engine struct {
	Store      *store.Store
	Secrets    *secretbox.Keyring
	ANAFClient func(ctx context.Context) (*anaf.Client, error)
	Logger     *slog.Logger
	Now        func() time.Time // clock; default time.Now
	// Retry is the backoff for transient download failures; the zero value
	// means DefaultRetry (4 attempts, 500 ms doubling up to 10 s).
	Retry anaf.RetryPolicy

	mu        sync.Mutex
	running   map[int64]*Progress
	userLocks map[int64]*sync.Mutex
	wg        sync.WaitGroup
}

func (e *Engine) retry() anaf.RetryPolicy {
	if e.Retry == (anaf.RetryPolicy{}) {
		return DefaultRetry
	}
	return e.Retry
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// Running returns the progress of a running sync of the company, if any.
func (e *Engine) Running(companyID int64) (Progress, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.running[companyID]
	if !ok {
		return Progress{}, false
	}
	return *p, true
}

// SyncNow starts a sync of the company in the background. ErrBusy when one runs.
func (e *Engine) SyncNow(ctx context.Context, companyID int64) error {
	if _, ok := e.Running(companyID); ok {
		return ErrBusy
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx := context.WithoutCancel(ctx)
		if _, err := e.SyncCompany(ctx, companyID, nil); err != nil && !errors.Is(err, ErrBusy) {
			e.logger().Warn("sync failed", slog.Int64("company_id", companyID), slog.String("error", err.Error()))
		}
	}()
	return nil
}

// Wait blocks until background syncs started with SyncNow have finished.
func (e *Engine) Wait() { e.wg.Wait() }

// SyncCompany synchronises one company in the foreground; progress, when
// non-nil, is called after each step. Every run that starts is recorded in
// sync_runs with status ok, partial (Result.Failed > 0; the company's
// LastSyncedUntil is then not advanced, so the failed messages are listed
// again next time) or failed with a readable error.
//
// Errors: ErrBusy (no run recorded), the store's ErrNotFound for an unknown
// company (no run recorded), ErrNoConnection, ErrReconnectNeeded, and
// wrapped anaf errors (listing, a second 401 after one refresh) or
// context errors.
func (e *Engine) SyncCompany(ctx context.Context, companyID int64, progress func(Progress)) (*Result, error) {
	e.mu.Lock()
	if e.running == nil {
		e.running = map[int64]*Progress{}
	}
	if _, busy := e.running[companyID]; busy {
		e.mu.Unlock()
		return nil, ErrBusy
	}
	prog := &Progress{Phase: "listing"}
	e.running[companyID] = prog
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, companyID)
		e.mu.Unlock()
	}()
	report := func(update func(p *Progress)) {
		e.mu.Lock()
		update(prog)
		p := *prog
		e.mu.Unlock()
		if progress != nil {
			progress(p)
		}
	}

	company, err := e.Store.CompanyByID(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("loading company %d: %w", companyID, err)
	}
	run, err := e.Store.StartSyncRun(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("recording sync run: %w", err)
	}
	started := e.now()
	res := &Result{RunID: run.ID}
	var todo []anaf.Message
	var firstFailure error
	finish := func(err error) (*Result, error) {
		run.FinishedAt = nil // the store's clock, like StartedAt
		run.Found, run.New, run.Failed = res.Found, res.New, res.Failed
		run.Status = store.SyncOK
		if err != nil {
			run.Status = store.SyncFailed
			run.Error = err.Error()
		} else if res.Failed > 0 {
			run.Status = SyncPartial
			run.Error = fmt.Sprintf("%d of %d messages could not be archived and will be retried on the next sync; first error: %v",
				res.Failed, len(todo), firstFailure)
		}
		if ferr := e.Store.FinishSyncRun(context.WithoutCancel(ctx), run); ferr != nil {
			e.logger().Error("recording sync outcome", slog.String("error", ferr.Error()))
		}
		res.Duration = e.now().Sub(started)
		report(func(p *Progress) { p.Phase = "done" })
		e.logger().Info("sync finished", slog.String("cif", company.CIF), slog.Int("found", res.Found),
			slog.Int("new", res.New), slog.Int("failed", res.Failed), slog.Int("reused", res.Reused),
			slog.Duration("duration", res.Duration), slog.String("status", run.Status))
		return res, err
	}

	if e.ANAFClient == nil {
		return finish(errors.New("no ANAF client is configured"))
	}
	client, err := e.ANAFClient(ctx)
	if err != nil {
		return finish(fmt.Errorf("preparing the ANAF client: %w", err))
	}
	tok, err := e.token(ctx, client, companyID)
	if err != nil {
		return finish(err)
	}
	// One refresh per run for a token ANAF refuses although it should be
	// valid; a second refusal ends the run instead of looping.
	refreshed := false
	reauth := func(cause error) error {
		if refreshed {
			return fmt.Errorf("ANAF refused the access token again right after a refresh: %w", cause)
		}
		refreshed = true
		nt, err := e.refresh(ctx, client, tok)
		if err != nil {
			return err
		}
		tok = nt
		return nil
	}

	var last time.Time
	if company.LastSyncedUntil != nil {
		last = *company.LastSyncedUntil
	}
	start, end := anaf.Window(last, e.now(), Overlap)
	res.Start, res.End = start, end

	list := func() (msgs []anaf.Message, err error) {
		err = anaf.Retry(ctx, e.retry(), func() error {
			msgs, err = client.ListMessages(ctx, tok.access, company.CIF, start, end)
			return err
		})
		return msgs, err
	}
	msgs, err := list()
	if errors.Is(err, anaf.ErrUnauthorized) {
		if err = reauth(err); err != nil {
			return finish(err)
		}
		msgs, err = list()
	}
	if err != nil {
		return finish(fmt.Errorf("listing ANAF messages for CIF %s: %w", company.CIF, err))
	}
	msgs = e.ownMessages(company, msgs)
	res.Found = len(msgs)

	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	have, err := e.Store.ExistingANAFIDs(ctx, companyID, ids)
	if err != nil {
		return finish(fmt.Errorf("reading the archive: %w", err))
	}
	for _, m := range msgs {
		if !have[m.ID] {
			todo = append(todo, m)
		}
	}
	report(func(p *Progress) { p.Phase = "downloading"; p.Found = len(msgs); p.Todo = len(todo) })

	for _, m := range todo {
		if err := ctx.Err(); err != nil {
			return finish(fmt.Errorf("sync interrupted: %w", err))
		}
		inserted, reused, err := e.archive(ctx, client, tok, company, m)
		if errors.Is(err, anaf.ErrUnauthorized) {
			if err := reauth(err); err != nil {
				return finish(err)
			}
			inserted, reused, err = e.archive(ctx, client, tok, company, m)
			if errors.Is(err, anaf.ErrUnauthorized) {
				return finish(fmt.Errorf("ANAF refused the access token again right after a refresh: %w", err))
			}
		}
		if err != nil && ctx.Err() != nil {
			return finish(fmt.Errorf("sync interrupted: %w", err))
		}
		if err != nil {
			res.Failed++
			if firstFailure == nil {
				firstFailure = err
			}
			e.logger().Warn("archiving message failed", slog.String("cif", company.CIF), slog.String("id", m.ID), slog.String("error", err.Error()))
		} else if inserted {
			res.New++
		}
		if reused && err == nil {
			res.Reused++
		}
		report(func(p *Progress) { p.Done++; p.New = res.New; p.Failed = res.Failed })
	}
	if res.Failed == 0 {
		if err := e.Store.SetCompanySyncedUntil(ctx, companyID, end); err != nil {
			return finish(fmt.Errorf("recording the synced window: %w", err))
		}
	}
	return finish(nil)
}

// ownMessages keeps the messages ANAF listed for the company's own CIF.
// A message whose cif is another CIF (or missing) is dropped and logged:
// it is never stored under this company.
func (e *Engine) ownMessages(company *store.Company, msgs []anaf.Message) []anaf.Message {
	want, err := cif.Normalize(company.CIF)
	if err != nil {
		want = strings.TrimSpace(company.CIF)
	}
	own := make([]anaf.Message, 0, len(msgs))
	for _, m := range msgs {
		if got, err := cif.Normalize(m.CIF); err == nil && got == want {
			own = append(own, m)
			continue
		}
		e.logger().Warn("ANAF listed a message for another CIF; ignored",
			slog.String("cif", company.CIF), slog.String("message_cif", m.CIF), slog.String("id", m.ID))
	}
	return own
}

// archive downloads (or reuses) one message's ZIP, parses it and stores it.
// reused reports a ZIP taken from another company's archive.
func (e *Engine) archive(ctx context.Context, client *anaf.Client, tok *token, company *store.Company, m anaf.Message) (inserted, reused bool, err error) {
	zipBytes, err := e.Store.ArchivedZIP(ctx, m.ID)
	switch {
	case err == nil:
		reused = true
	case errors.Is(err, store.ErrNotFound):
		zipBytes, err = e.download(ctx, client, tok.access, m.ID)
		if err != nil {
			return false, false, fmt.Errorf("downloading message %s: %w", m.ID, err)
		}
	default:
		return false, false, fmt.Errorf("looking for message %s in the archive: %w", m.ID, err)
	}
	inv := BuildInvoice(company.ID, m, zipBytes)
	inv.SyncedAt = e.now().UTC()
	inserted, err = e.Store.InsertInvoice(ctx, inv)
	if err != nil {
		return false, reused, fmt.Errorf("storing message %s: %w", m.ID, err)
	}
	return inserted, reused, nil
}

// download fetches a message's ZIP, retrying transient failures with the
// Engine's policy, and re-downloading at most MaxRedownloads times when the
// answer is not a readable ANAF ZIP: either the client refused it as
// malformed (anaf.ErrMalformed: it does not open as a ZIP, and the client
// keeps no bytes) or invoice.ReadArchive refuses its content. Re-downloading
// stops early when ANAF sends the same unreadable bytes twice (more
// attempts would only spend the per-message quota). When the budget is
// spent and some unreadable bytes were received, they are returned (the
// caller archives them with ParseError): the bytes are never lost and the
// message is not downloaded again on the next run.
func (e *Engine) download(ctx context.Context, client *anaf.Client, access, id string) ([]byte, error) {
	var (
		kept    []byte // last unreadable bytes received
		lastErr error
	)
	for attempt := 0; attempt <= MaxRedownloads; attempt++ {
		if attempt > 0 {
			e.logger().Warn("ANAF sent an unreadable ZIP; downloading it again",
				slog.String("id", id), slog.Int("attempt", attempt+1), slog.Int("budget", MaxRedownloads+1))
		}
		b, err := e.downloadWithRetry(ctx, client, access, id)
		switch {
		case err == nil:
			if _, rerr := invoice.ReadArchive(b); rerr == nil {
				return b, nil
			}
			if kept != nil && bytes.Equal(kept, b) {
				return b, nil
			}
			kept, lastErr = b, nil
		case errors.Is(err, anaf.ErrMalformed):
			lastErr = err
		case kept != nil && !errors.Is(err, anaf.ErrUnauthorized) && ctx.Err() == nil:
			// E.g. the daily quota: keep what ANAF already sent.
			e.logger().Warn("re-download failed; archiving the unreadable ZIP received earlier",
				slog.String("id", id), slog.String("error", err.Error()))
			return kept, nil
		default:
			return nil, err
		}
	}
	if kept != nil {
		return kept, nil
	}
	return nil, fmt.Errorf("still unreadable after %d downloads: %w", MaxRedownloads+1, lastErr)
}

func (e *Engine) downloadWithRetry(ctx context.Context, client *anaf.Client, access, id string) ([]byte, error) {
	var out []byte
	err := anaf.Retry(ctx, e.retry(), func() error {
		b, err := client.Download(ctx, access, id)
		if err == nil {
			out = b
		}
		return err
	})
	return out, err
}

// BuildInvoice turns an ANAF message and its ZIP into an archive row. A ZIP
// or document that cannot be read is kept, with ParseError saying why.
func BuildInvoice(companyID int64, m anaf.Message, zipBytes []byte) *store.Invoice {
	sum := sha256.Sum256(zipBytes)
	inv := &store.Invoice{
		CompanyID:     companyID,
		ANAFID:        m.ID,
		UploadID:      m.UploadID,
		MessageType:   m.Type,
		Details:       m.Details,
		CIFEmitent:    m.CIFEmitent,
		CIFBeneficiar: m.CIFBeneficiar,
		ANAFCreatedAt: m.CreatedAt.UTC(),
		ZIP:           zipBytes,
		ZIPSHA256:     sum[:],
	}
	arch, err := invoice.ReadArchive(zipBytes)
	if err != nil {
		inv.ParseError = "the ZIP from ANAF could not be read: " + err.Error()
		return inv
	}
	if m.Type == store.TypeErrors || isANAFErrors(arch.Document) {
		inv.DocumentType = "ANAFErrors"
		ae, err := invoice.ParseANAFErrors(arch.Document)
		if err != nil {
			inv.ParseError = "ANAF's error list could not be read: " + err.Error()
			return inv
		}
		if inv.CIFEmitent == "" {
			inv.CIFEmitent = ae.CIFEmitent
		}
		inv.ParsedJSON, _ = json.Marshal(struct {
			DocumentType string   `json:"document_type"`
			UploadID     string   `json:"upload_id,omitempty"`
			CIFEmitent   string   `json:"cif_emitent,omitempty"`
			Errors       []string `json:"errors"`
		}{"ANAFErrors", ae.UploadID, ae.CIFEmitent, ae.Messages})
		return inv
	}
	doc, err := invoice.Parse(arch.Document)
	if err != nil {
		inv.ParseError = err.Error()
		return inv
	}
	inv.DocumentType = string(doc.DocumentType)
	inv.InvoiceNumber = doc.Number
	inv.IssueDate = doc.IssueDate
	inv.DueDate = doc.DueDate
	inv.Currency = doc.Currency
	inv.IssuerName = doc.Seller.Name
	inv.ReceiverName = doc.Buyer.Name
	inv.SupplierCIF = invoice.PartyCIF(doc.Seller)
	if inv.SupplierCIF == "" {
		inv.SupplierCIF = firstNonEmpty(doc.Seller.VATID, doc.Seller.LegalID)
	}
	if inv.CIFEmitent == "" {
		inv.CIFEmitent = inv.SupplierCIF
	}
	if inv.CIFBeneficiar == "" {
		inv.CIFBeneficiar = firstNonEmpty(invoice.PartyCIF(doc.Buyer), doc.Buyer.VATID, doc.Buyer.LegalID)
	}
	inv.TotalAmount = doc.Totals.TaxInclusive
	inv.VATAmount = doc.Totals.VAT
	inv.ParsedJSON, _ = json.Marshal(doc)
	return inv
}

func isANAFErrors(doc []byte) bool {
	head := doc
	if len(head) > 512 {
		head = head[:512]
	}
	return strings.Contains(string(head), "mesajEroriFactuta")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
