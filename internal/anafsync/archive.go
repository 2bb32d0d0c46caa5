package anafsync

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// fetched is a message of a page made ready for the archive (fetch): its
// ZIP downloaded or reused from another company's archive, parsed and
// validated, waiting to be stored with the page's batch (syncStep.flush).
type fetched struct {
	m       anaf.Message
	tok     *token // the token it was asked for with
	inv     *store.Invoice
	verdict *store.InvoiceValidation
	reused  bool // the ZIP was taken from another company's archive
	claimed bool // the download claim is held until the batch is stored
	err     error
}

// fetch downloads (or reuses) one message's ZIP, parses and validates it;
// the caller stores it (syncStep.flush) and releases a held claim after.
// On error no claim is held.
//
// hint is what lookAhead found of the message: with hintClaimed the claim
// is held and the message was not archived then (downloaded at once);
// otherwise the archive is looked at first.
func (e *Engine) fetch(ctx context.Context, client *anaf.Client, tok *token, company *store.Company, m anaf.Message, owner string, hint lookHint) (f fetched) {
	f.m, f.tok = m, tok
	var (
		arch     *invoice.Archive // read once, for the row and the verdict
		zipBytes []byte
		err      error
	)
	switch hint {
	case hintClaimed:
		f.claimed, err = true, store.ErrNotFound
	case hintClaimedArchived:
		f.claimed = true
		zipBytes, err = e.Store.ArchivedZIP(ctx, m.ID)
	default:
		zipBytes, err = e.Store.ArchivedZIP(ctx, m.ID)
	}
	if errors.Is(err, store.ErrNotFound) && !f.claimed {
		// Another worker may be downloading the same id for the other
		// party's company: claim it, or wait for its ZIP in the archive.
		zipBytes, f.claimed, err = e.claimOrWait(ctx, m.ID, owner)
	}
	switch {
	case err == nil:
		f.reused = true
	case errors.Is(err, store.ErrNotFound):
		zipBytes, arch, err = e.download(ctx, client, tok.access, m.ID)
		if err != nil {
			f.err = fmt.Errorf("downloading message %s: %w", m.ID, err)
		}
	default:
		f.err = fmt.Errorf("looking for message %s in the archive: %w", m.ID, err)
	}
	if f.err != nil {
		e.release(ctx, &f, owner)
		return f
	}
	var archErr error
	if arch == nil {
		arch, archErr = invoice.ReadArchive(zipBytes)
	}
	f.inv = buildInvoice(company.ID, m, zipBytes, arch, archErr)
	f.inv.SyncedAt = e.now().UTC()
	f.verdict = e.verdictFor(ctx, f.inv, arch, archErr, f.reused)
	return f
}

// lookHint is what lookAhead found of a message before its fetch.
type lookHint uint8

const (
	hintNone            lookHint = iota // not looked at (or archived by another company): fetch looks
	hintClaimed                         // not archived, and its download claimed by this owner
	hintClaimedArchived                 // claimed by this owner, and archived meanwhile (the claim goes with the batch)
)

// Look-ahead chunks (archiveTodo): lookChunk messages per unit of the
// fetch width, at most lookChunkMax. A claim taken ahead lives
// downloadClaimTTL and is renewed while held (renewClaims).
const (
	lookChunk    = 8
	lookChunkMax = 32
)

// lookAheadSize is how many messages the next look-ahead covers at a fetch
// width: one while the width is one (a page's start, or after a failure:
// a failing ANAF or a full disk is met one message at a time, each claim
// a write that finds a full disk before the next download), else
// lookChunk per unit of width, at most lookChunkMax.
func lookAheadSize(width int) int {
	if width <= 1 {
		return 1
	}
	return min(lookChunk*width, lookChunkMax)
}

// lookAhead looks up a chunk of the page's messages at once, where fetch
// would for each (issue 16): which are archived (one query), claims the
// downloads of the others (one statement), and which of those claimed are
// archived after all (another query: a claimant may have archived it and
// released its claim since). It adds the chunk's hints to hints; on an
// error the chunk is left to fetch (hintNone), with no claim held.
func (e *Engine) lookAhead(ctx context.Context, msgs []anaf.Message, owner string, hints map[string]lookHint) map[string]lookHint {
	if hints == nil {
		hints = make(map[string]lookHint, len(msgs))
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	archived, err := e.Store.ArchivedAmong(ctx, ids)
	if err != nil {
		return hints
	}
	rest := ids[:0]
	for _, id := range ids {
		if !archived[id] {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return hints
	}
	claimed, err := e.Store.ClaimDownloads(ctx, rest, owner, downloadClaimTTL)
	if err != nil || len(claimed) == 0 {
		return hints
	}
	mine := make([]string, 0, len(claimed))
	for _, id := range rest {
		if claimed[id] {
			mine = append(mine, id)
		}
	}
	since, err := e.Store.ArchivedAmong(ctx, mine)
	if err != nil {
		_ = e.Store.ReleaseDownloads(context.WithoutCancel(ctx), mine, owner)
		return hints
	}
	for _, id := range mine {
		if since[id] {
			hints[id] = hintClaimedArchived
		} else {
			hints[id] = hintClaimed
		}
	}
	return hints
}

// releaseHints drops the claims lookAhead took for messages whose fetch
// did not start.
func (e *Engine) releaseHints(ctx context.Context, hints map[string]lookHint, owner string) {
	var ids []string
	for id, h := range hints {
		if h == hintClaimed || h == hintClaimedArchived {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	if err := e.Store.ReleaseDownloads(ctx, ids, owner); err != nil {
		e.logger().Warn("releasing download claims", slog.String("error", err.Error()))
	}
}

// claimRenewEvery is how often archiveTodo renews the download claims it
// holds (renewClaims): well within downloadClaimTTL.
const claimRenewEvery = downloadClaimTTL / 3

// renewClaims extends owner's claims on the messages taken ahead (hints),
// in flight (fetching: those whose fetch claimed hold it) and fetched
// waiting for their batch (pending), so none expires while its message is
// still worked on: another worker would download it again.
func (e *Engine) renewClaims(ctx context.Context, hints map[string]lookHint, fetching map[string]bool, pending []fetched, owner string) {
	ids := make([]string, 0, len(hints)+len(fetching)+len(pending))
	for id, h := range hints {
		if h == hintClaimed || h == hintClaimedArchived {
			ids = append(ids, id)
		}
	}
	for id := range fetching {
		ids = append(ids, id)
	}
	for i := range pending {
		if pending[i].claimed {
			ids = append(ids, pending[i].m.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	if err := e.Store.RenewDownloads(ctx, ids, owner, downloadClaimTTL); err != nil && ctx.Err() == nil {
		e.logger().Warn("renewing download claims", slog.String("error", err.Error()))
	}
}

// release drops f's download claim, if held.
func (e *Engine) release(ctx context.Context, f *fetched, owner string) {
	if f.claimed {
		_ = e.Store.ReleaseDownload(context.WithoutCancel(ctx), f.m.ID, owner)
		f.claimed = false
	}
}

// perMessageQuota reports a quota of one message (descarcare: 10
// downloads per id per day): that message is deferred to the quota
// reset (syncStep.defer_), the run goes on.
func perMessageQuota(err error) bool {
	var ae *anaf.Error
	return errors.As(err, &ae) && ae.Quota == anaf.QuotaDownload
}

// downloadClaimTTL bounds how long a worker waits for another's download
// of the same message (a dead worker's claim expires after it).
const downloadClaimTTL = 15 * time.Second

// claimOrWait claims the download of id (claimed true, err
// store.ErrNotFound: download it), or waits for the claimant to archive it
// and returns its ZIP (err nil). After downloadClaimTTL the claim is taken over.
func (e *Engine) claimOrWait(ctx context.Context, id, owner string) (zip []byte, claimed bool, err error) {
	for {
		ok, err := e.Store.ClaimDownload(ctx, id, owner, downloadClaimTTL)
		if err != nil {
			return nil, false, err
		}
		if ok {
			// The previous claimant may have archived it and released
			// its claim since our first look.
			zip, err = e.Store.ArchivedZIP(ctx, id)
			return zip, true, err
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		zip, err = e.Store.ArchivedZIP(ctx, id)
		if !errors.Is(err, store.ErrNotFound) {
			return zip, false, err
		}
	}
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
//
// arch is the read archive when the bytes returned are readable (nil else).
func (e *Engine) download(ctx context.Context, client *anaf.Client, access, id string) (b []byte, arch *invoice.Archive, err error) {
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
			if a, rerr := invoice.ReadArchive(b); rerr == nil {
				return b, a, nil
			}
			if isZIP(b) {
				// A whole ZIP of a layout the gateway cannot read: ANAF
				// sends the same again, so it is archived as it is (with
				// its parse error) and never downloaded again.
				return b, nil, nil
			}
			if kept != nil && bytes.Equal(kept, b) {
				return b, nil, nil
			}
			kept, lastErr = b, nil
		case errors.Is(err, anaf.ErrMalformed):
			lastErr = err
		case kept != nil && !errors.Is(err, anaf.ErrUnauthorized) && ctx.Err() == nil:
			// E.g. the daily quota: keep what ANAF already sent.
			e.logger().Warn("re-download failed; archiving the unreadable ZIP received earlier",
				slog.String("id", id), slog.String("error", err.Error()))
			return kept, nil, nil
		default:
			return nil, nil, err
		}
	}
	if kept != nil {
		return kept, nil, nil
	}
	return nil, nil, fmt.Errorf("still unreadable after %d downloads: %w", MaxRedownloads+1, lastErr)
}

// isZIP reports whether b opens as a ZIP archive (its central directory
// is whole): a ZIP of another layout, not a truncated answer.
func isZIP(b []byte) bool {
	_, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	return err == nil
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
// or document that cannot be read is kept, with ParseError saying why
// (invoice.Summarize classifies and parses it).
func BuildInvoice(companyID int64, m anaf.Message, zipBytes []byte) *store.Invoice {
	arch, err := invoice.ReadArchive(zipBytes)
	return buildInvoice(companyID, m, zipBytes, arch, err)
}

// buildInvoice is BuildInvoice of a ZIP already read (arch and err as
// invoice.ReadArchive returned them).
func buildInvoice(companyID int64, m anaf.Message, zipBytes []byte, arch *invoice.Archive, archErr error) *store.Invoice {
	sum := sha256.Sum256(zipBytes)
	s := invoice.SummarizeArchive(arch, archErr, m.Type == store.TypeErrors)
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
		DocumentType:  s.DocumentType,
		InvoiceNumber: s.InvoiceNumber,
		IssueDate:     s.IssueDate,
		DueDate:       s.DueDate,
		Currency:      s.Currency,
		IssuerName:    s.IssuerName,
		ReceiverName:  s.ReceiverName,
		SupplierCIF:   s.SupplierCIF,
		TotalAmount:   s.TotalAmount,
		VATAmount:     s.VATAmount,
		ParsedJSON:    s.ParsedJSON,
		ParseError:    s.ParseError,
	}
	// The CIFs ANAF listed come first; the document's fill the gaps.
	if inv.CIFEmitent == "" {
		inv.CIFEmitent = s.CIFEmitent
	}
	if inv.CIFBeneficiar == "" {
		inv.CIFBeneficiar = s.CIFBeneficiar
	}
	return inv
}
