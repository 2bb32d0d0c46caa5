package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Sending invoices (issue 14): the ANAF side of an upload. internal/jobs
// runs SendUpload once per upload (send_upload) and PollUpload until the
// upload ends (poll_upload); internal/gateway creates the upload row and
// queues the first job in the same transaction.
//
// States and transitions (store.Upload*):
//
//	sending → pending  ANAF answered with index_incarcare
//	sending → nok      ANAF refused the upload in its answer (header Errors), or no connection may send
//	sending → unknown  the answer was lost (anaf.ErrOutcomeUnknown), or a previous attempt of the job
//	                   began sending and died before recording the answer: never resent
//	pending → ok       stareMesaj "ok": the signed ZIP downloaded once and archived as FACTURA TRIMISA
//	pending → nok      stareMesaj "nok" (every error of ANAF's error ZIP kept) or "XML cu erori nepreluat de sistem"
//	unknown → ok|nok   reconciled with the company's archived FACTURA TRIMISA / ERORI FACTURA messages
//	                   (the poll job queues syncs of the company) for UnknownFor; then it stays unknown
//
// No transition ever sends the document again.

// UnknownFor is how long an upload whose answer was lost is matched
// against the company's new messages.
const UnknownFor = 72 * time.Hour

// DefaultUploadPolls are the waits between stareMesaj calls of a pending
// upload (the last one repeats). ANAF allows few stareMesaj calls per
// upload index per day (the client's accounting counts 10): the
// schedule spends ten in about eight hours, then the quota snoozes it.
var DefaultUploadPolls = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour}

// DefaultReconcilePolls are the waits between reconciliation rounds of an
// unknown upload (each round queues a sync of the company first).
var DefaultReconcilePolls = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute}

// UploadNext tells the job runner what to do after a step of an upload.
type UploadNext struct {
	Done  bool          // the upload reached a final state (or is gone): no more work
	Poll  bool          // queue (or continue) the poll job after After
	Sync  bool          // queue a sync of the company (reconciliation of an unknown upload)
	Retry bool          // the send did not happen (nothing reached ANAF): try again after After
	After time.Duration // wait before the next step
}

// UploadEvent is told of each state change of an upload (audit, metrics, tests).
type UploadEvent struct {
	Upload *store.Upload // before the change
	State  string        // the new state
	Detail string
}

func (e *Engine) uploadPolls() []time.Duration {
	if len(e.UploadPolls) > 0 {
		return e.UploadPolls
	}
	return DefaultUploadPolls
}

func (e *Engine) reconcilePolls() []time.Duration {
	if len(e.ReconcilePolls) > 0 {
		return e.ReconcilePolls
	}
	return DefaultReconcilePolls
}

func backoffAt(s []time.Duration, n int) time.Duration {
	if n < 0 {
		n = 0
	}
	if n >= len(s) {
		return s[len(s)-1]
	}
	return s[n]
}

// transition moves upload u to state (when it still is in one of from),
// applying up, and records it (audit: store.ActionUploadSent / ActionUploadState).
func (e *Engine) transition(ctx context.Context, st *store.Store, u *store.Upload, state, detail string, up store.UploadUpdate, from ...string) error {
	up.State = state
	action := store.ActionUploadState
	if u.State == store.UploadSending {
		action = store.ActionUploadSent
	}
	c, _ := st.CompanyByID(ctx, u.CompanyID)
	details := fmt.Sprintf("%s → %s", u.State, state)
	if c != nil {
		details = "company:" + c.CIF + " " + details
	}
	if u.InvoiceNumber != "" {
		details += " number=" + u.InvoiceNumber
	}
	if detail != "" {
		details += " " + detail
	}
	// The change and its audit row commit together.
	err := st.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateUpload(ctx, u.ID, up, from...); err != nil {
			return err
		}
		return tx.Audit(ctx, &store.AuditEvent{Action: action, Target: store.TargetUpload(u.ID), Details: details})
	})
	if err != nil {
		return err
	}
	if e.OnUpload != nil {
		e.OnUpload(UploadEvent{Upload: u, State: state, Detail: detail})
	}
	return nil
}

func clientErrorText(err error) string {
	var ae *anaf.Error
	if errors.As(err, &ae) && ae.Text != "" {
		return ae.Text
	}
	return err.Error()
}

// SendUpload sends upload id to ANAF once. final says this is the job's
// last attempt: a send that could not start is then recorded nok instead
// of retried. An upload not in state sending is left alone (Done).
func (e *Engine) SendUpload(ctx context.Context, id int64, final bool) (UploadNext, error) {
	st := e.Store
	u, err := st.UploadByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return UploadNext{Done: true}, nil
	}
	if err != nil {
		return UploadNext{}, err
	}
	if u.State != store.UploadSending {
		return UploadNext{Done: !store.UploadActive(u.State) || u.State == store.UploadOK, Poll: u.State == store.UploadPending || u.State == store.UploadUnknown}, nil
	}
	if u.SendStartedAt != nil {
		// An earlier attempt began sending and died before recording
		// ANAF's answer: ANAF may have it. Never resend; reconcile.
		err := e.transition(ctx, st, u, store.UploadUnknown, "a previous attempt began sending at "+u.SendStartedAt.UTC().Format(time.RFC3339)+" and its answer was lost",
			store.UploadUpdate{}, store.UploadSending)
		return UploadNext{Poll: true, After: backoffAt(e.reconcilePolls(), 0)}, ignoreMoved(err)
	}
	company, err := st.CompanyByID(ctx, u.CompanyID)
	if err != nil {
		return UploadNext{}, err
	}
	if e.ANAFClient == nil {
		return UploadNext{}, errors.New("anafsync: no ANAF client is configured")
	}
	client, err := e.ANAFClient(ctx)
	if err != nil {
		return e.notSent(ctx, u, final, fmt.Errorf("ANAF client: %w", err))
	}
	tok, err := e.token(ctx, client, u.CompanyID, nil)
	if err != nil {
		if errors.Is(err, ErrNoConnection) || errors.Is(err, ErrReconnectNeeded) {
			return e.refuse(ctx, u, "NO_CONNECTION", err.Error())
		}
		return e.notSent(ctx, u, final, err)
	}
	// Claimed and committed before the call: a process that dies while
	// sending leaves the mark, and the retried job turns the upload
	// unknown instead of sending it again; of two concurrent jobs only one
	// claims it.
	claimed, err := st.ClaimUploadSend(ctx, u.ID, e.now().UTC())
	if err != nil {
		return UploadNext{}, err
	}
	if !claimed {
		return UploadNext{Done: true}, nil
	}
	standard := u.Standard
	if standard == "" {
		standard = anaf.StandardUBL
	}
	res, err := client.UploadWithOptions(ctx, tok.access, anaf.UploadOptions{
		Standard: standard, CIF: company.CIF, Extern: u.Options.Extern, AutoFactura: u.Options.Autofactura,
		Executare: u.Options.Executare, B2C: u.Options.B2C,
	}, u.Document)
	if err == nil {
		idx, sent := res.Index, e.now().UTC()
		err := e.transition(ctx, st, u, store.UploadPending, "id_incarcare="+idx,
			store.UploadUpdate{IDIncarcare: &idx, SentAt: &sent}, store.UploadSending)
		return UploadNext{Poll: true, After: backoffAt(e.uploadPolls(), 0)}, err
	}
	var ae *anaf.Error
	switch {
	case errors.Is(err, anaf.ErrOutcomeUnknown):
		sent := e.now().UTC()
		terr := e.transition(ctx, st, u, store.UploadUnknown, "answer lost: "+clientErrorText(err),
			store.UploadUpdate{SentAt: &sent}, store.UploadSending)
		return UploadNext{Poll: true, Sync: true, After: backoffAt(e.reconcilePolls(), 0)}, terr
	case errors.As(err, &ae) && (ae.Kind == anaf.KindTransient || ae.Kind == anaf.KindQuota || ae.Kind == anaf.KindUnauthorized):
		// Nothing reached ANAF (a refused connection, the gateway's own
		// quota, a quota or token refusal in ANAF's answer): clear the mark.
		var none *time.Time
		if cerr := st.UpdateUpload(ctx, u.ID, store.UploadUpdate{SendStartedAt: &none}, store.UploadSending); cerr != nil {
			return UploadNext{}, ignoreMoved(cerr)
		}
		if ae.Kind == anaf.KindQuota && !ae.ResetAt.IsZero() {
			return UploadNext{Retry: true, After: max(time.Until(ae.ResetAt), time.Second)}, nil
		}
		return e.notSent(ctx, u, final, err)
	case errors.As(err, &ae) && ae.Kind != anaf.KindMalformed:
		// ANAF's definite refusal in the upload's answer.
		return e.refuse(ctx, u, "ANAF", clientErrorText(err))
	default:
		// Not an answer we can read (a cancelled call, a malformed body):
		// ANAF may have it.
		sent := e.now().UTC()
		terr := e.transition(ctx, st, u, store.UploadUnknown, "answer unreadable: "+err.Error(),
			store.UploadUpdate{SentAt: &sent}, store.UploadSending)
		return UploadNext{Poll: true, Sync: true, After: backoffAt(e.reconcilePolls(), 0)}, terr
	}
}

// notSent: the send could not start (nothing reached ANAF); retried, or
// recorded nok on the final attempt.
func (e *Engine) notSent(ctx context.Context, u *store.Upload, final bool, cause error) (UploadNext, error) {
	if final {
		return e.refuse(ctx, u, "NOT_SENT", "the invoice could not be sent to ANAF: "+cause.Error())
	}
	return UploadNext{}, cause
}

func (e *Engine) refuse(ctx context.Context, u *store.Upload, id, msg string) (UploadNext, error) {
	err := e.transition(ctx, e.Store, u, store.UploadNOK, id+": "+msg,
		store.UploadUpdate{Errors: []store.UploadError{{ID: id, Message: msg}}}, store.UploadSending)
	return UploadNext{Done: true}, ignoreMoved(err)
}

// ignoreMoved: ErrNotFound from a guarded update means another worker
// moved the upload on first (or it was deleted): nothing to do.
func ignoreMoved(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// DefaultPollLease is how long one poll step holds its upload
// (next_poll_at) against a duplicate poll job (Engine.PollLease); a step
// left by a dead process is taken over after it. A duplicate step after
// it is harmless: stareMesaj is a read and every transition is guarded.
const DefaultPollLease = 20 * time.Second

// PollUpload follows a pending upload (stareMesaj) or reconciles an unknown
// one; other states are Done. One step runs at a time per upload: it
// claims the upload's next_poll_at (a duplicate job finds it held and is
// Done), and leaves it at the time of the next step.
func (e *Engine) PollUpload(ctx context.Context, id int64) (UploadNext, error) {
	now := e.now().UTC()
	lease := e.PollLease
	if lease <= 0 {
		lease = DefaultPollLease
	}
	claimed, err := e.Store.ClaimUploadPoll(ctx, id, now, now.Add(lease))
	if err != nil {
		return UploadNext{}, err
	}
	if !claimed {
		return UploadNext{Done: true}, nil
	}
	next, err := e.pollStep(ctx, id)
	if next.Poll && !next.Done {
		at := e.now().Add(next.After).UTC()
		pat := &at
		if uerr := e.Store.UpdateUpload(context.WithoutCancel(ctx), id, store.UploadUpdate{NextPollAt: &pat}); uerr != nil && err == nil {
			err = ignoreMoved(uerr)
		}
	}
	return next, err
}

func (e *Engine) pollStep(ctx context.Context, id int64) (UploadNext, error) {
	u, err := e.Store.UploadByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return UploadNext{Done: true}, nil
	}
	if err != nil {
		return UploadNext{}, err
	}
	switch u.State {
	case store.UploadPending:
		return e.pollPending(ctx, u)
	case store.UploadUnknown:
		ok, err := e.ReconcileUpload(ctx, u)
		if err != nil || ok {
			return UploadNext{Done: ok}, err
		}
		since := u.CreatedAt
		if u.SentAt != nil {
			since = *u.SentAt
		}
		if e.now().Sub(since) > UnknownFor {
			return UploadNext{Done: true}, nil // the user decides; ANAF's duplicate rule still guards
		}
		polls := u.Polls + 1
		if err := e.Store.UpdateUpload(ctx, u.ID, store.UploadUpdate{Polls: &polls}); err != nil {
			return UploadNext{}, ignoreMoved(err)
		}
		return UploadNext{Poll: true, Sync: true, After: backoffAt(e.reconcilePolls(), u.Polls)}, nil
	}
	return UploadNext{Done: true}, nil
}

func (e *Engine) pollPending(ctx context.Context, u *store.Upload) (UploadNext, error) {
	if e.ANAFClient == nil {
		return UploadNext{}, errors.New("anafsync: no ANAF client is configured")
	}
	client, err := e.ANAFClient(ctx)
	if err != nil {
		return UploadNext{}, err
	}
	tok, err := e.token(ctx, client, u.CompanyID, nil)
	if err != nil {
		// No connection now: look again later (the state stays pending).
		e.logger().Warn("polling an upload: no ANAF connection", slog.Int64("upload_id", u.ID), slog.String("error", err.Error()))
		return UploadNext{Poll: true, After: backoffAt(e.uploadPolls(), len(e.uploadPolls()))}, nil
	}
	polls := u.Polls + 1
	next := backoffAt(e.uploadPolls(), polls)
	status, err := client.Status(ctx, tok.access, u.IDIncarcare)
	if err != nil {
		var ae *anaf.Error
		if errors.As(err, &ae) && ae.Kind == anaf.KindQuota {
			wait := ae.RetryAfter
			if !ae.ResetAt.IsZero() {
				wait = time.Until(ae.ResetAt)
			}
			return UploadNext{Poll: true, After: max(wait, time.Second)}, nil
		}
		if ctx.Err() != nil {
			return UploadNext{}, err
		}
		e.logger().Warn("stareMesaj failed; polling again later", slog.Int64("upload_id", u.ID), slog.String("error", err.Error()))
		if uerr := e.Store.UpdateUpload(ctx, u.ID, store.UploadUpdate{Polls: &polls}, store.UploadPending); uerr != nil {
			return UploadNext{Done: true}, ignoreMoved(uerr)
		}
		return UploadNext{Poll: true, After: next}, nil
	}
	switch status.State {
	case anaf.StateOK:
		return e.accepted(ctx, client, tok, u, status.DownloadID)
	case anaf.StateNOK:
		return e.refused(ctx, client, tok, u, status.DownloadID)
	case anaf.StateXMLErrors:
		err := e.transition(ctx, e.Store, u, store.UploadNOK, status.State,
			store.UploadUpdate{Errors: []store.UploadError{{ID: "ANAF", Message: status.State}}, IDDescarcare: &status.DownloadID},
			store.UploadPending)
		return UploadNext{Done: true}, ignoreMoved(err)
	}
	// in prelucrare (or a state ANAF has not documented): later.
	if err := e.Store.UpdateUpload(ctx, u.ID, store.UploadUpdate{Polls: &polls}, store.UploadPending); err != nil {
		return UploadNext{Done: true}, ignoreMoved(err)
	}
	return UploadNext{Poll: true, After: next}, nil
}

// accepted downloads the signed ZIP once and archives it as the company's
// FACTURA TRIMISA (the same row a later sync finds by id_descarcare and
// does not store again), then marks the upload ok.
func (e *Engine) accepted(ctx context.Context, client *anaf.Client, tok *token, u *store.Upload, downloadID string) (UploadNext, error) {
	if u.Standard == anaf.StandardRASP {
		// A buyer message: the sync archives it with the type ANAF lists.
		err := e.transition(ctx, e.Store, u, store.UploadOK, "id_descarcare="+downloadID,
			store.UploadUpdate{IDDescarcare: &downloadID}, store.UploadPending)
		return UploadNext{Done: true}, ignoreMoved(err)
	}
	inv, err := e.archiveUploadZIP(ctx, client, tok, u, downloadID, store.TypeSent)
	if err != nil {
		return UploadNext{Poll: true, After: backoffAt(e.uploadPolls(), u.Polls+1)}, err
	}
	err = e.transition(ctx, e.Store, u, store.UploadOK, "id_descarcare="+downloadID,
		store.UploadUpdate{IDDescarcare: &downloadID, InvoiceID: &inv.ID}, store.UploadPending)
	return UploadNext{Done: true}, ignoreMoved(err)
}

// refused downloads ANAF's error ZIP, keeps every error it lists and
// archives it as the company's ERORI FACTURA message.
func (e *Engine) refused(ctx context.Context, client *anaf.Client, tok *token, u *store.Upload, downloadID string) (UploadNext, error) {
	var errs []store.UploadError
	if downloadID != "" {
		inv, err := e.archiveUploadZIP(ctx, client, tok, u, downloadID, store.TypeErrors)
		if err != nil {
			return UploadNext{Poll: true, After: backoffAt(e.uploadPolls(), u.Polls+1)}, err
		}
		errs = e.errorsOf(ctx, u.CompanyID, inv.ID)
	}
	if len(errs) == 0 {
		errs = []store.UploadError{{ID: "ANAF", Message: "nok"}}
	}
	up := store.UploadUpdate{IDDescarcare: &downloadID, Errors: errs}
	if dup := e.duplicateOf(ctx, u, errs); dup != 0 {
		up.DuplicateOf = &dup
	}
	err := e.transition(ctx, e.Store, u, store.UploadNOK, fmt.Sprintf("%d error(s)", len(errs)), up, store.UploadPending)
	return UploadNext{Done: true}, ignoreMoved(err)
}

func (e *Engine) archiveUploadZIP(ctx context.Context, client *anaf.Client, tok *token, u *store.Upload, downloadID, typ string) (*store.Invoice, error) {
	company, err := e.Store.CompanyByID(ctx, u.CompanyID)
	if err != nil {
		return nil, err
	}
	zipBytes, err := e.Store.ArchivedZIP(ctx, downloadID)
	if errors.Is(err, store.ErrNotFound) {
		zipBytes, _, err = e.download(ctx, client, tok.access, downloadID)
	}
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", downloadID, err)
	}
	m := anaf.Message{ID: downloadID, UploadID: u.IDIncarcare, Type: typ, CIFEmitent: company.CIF, CreatedAt: e.now().UTC()}
	if typ == store.TypeSent {
		m.CIFEmitent, m.CIFBeneficiar = u.SellerCIF, u.BuyerCIF
		m.Details = fmt.Sprintf("Factura cu id_incarcare=%s emisa de cif_emitent=%s pentru cif_beneficiar=%s", u.IDIncarcare, u.SellerCIF, u.BuyerCIF)
	} else {
		m.Details = "Erori de validare identificate la factura transmisa cu id_incarcare=" + u.IDIncarcare
	}
	inv := BuildInvoice(company.ID, m, zipBytes)
	inv.SyncedAt = e.now().UTC()
	if _, err := e.Store.InsertInvoice(ctx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// errorsOf reads every error of an archived ERORI FACTURA ZIP.
func (e *Engine) errorsOf(ctx context.Context, companyID, invoiceID int64) []store.UploadError {
	zipBytes, err := e.Store.InvoiceZIP(ctx, companyID, invoiceID)
	if err != nil {
		return nil
	}
	return ANAFErrorList(zipBytes)
}

// ANAFErrorList reads every error ANAF lists in an error ZIP (ERORI
// FACTURA), each with the rule id it names ("[BR-RO-110]" → BR-RO-110) or
// "ANAF" when it names none.
func ANAFErrorList(zipBytes []byte) []store.UploadError {
	a, err := invoice.ReadArchive(zipBytes)
	if err != nil {
		return []store.UploadError{{ID: "ANAF", Message: "ANAF's error file could not be read: " + err.Error()}}
	}
	ae, err := invoice.ParseANAFErrors(a.Document)
	if err != nil {
		return []store.UploadError{{ID: "ANAF", Message: "ANAF's error file could not be read: " + err.Error()}}
	}
	out := make([]store.UploadError, 0, len(ae.Messages))
	for _, m := range ae.Messages {
		id := "ANAF"
		if r := reRuleID.FindStringSubmatch(m); r != nil {
			id = r[1]
		}
		out = append(out, store.UploadError{ID: id, Message: strings.TrimSpace(m)})
	}
	return out
}

var (
	reRuleID    = regexp.MustCompile(`\[([A-Za-z0-9][A-Za-z0-9.\-]*)\]`)
	reDuplicate = regexp.MustCompile(`(?i)a\s+mai\s+fost\s+transmisa\s+anterior\s+cu\s+index\s*=\s*(\d+)`)
)

// duplicateOf is the earlier upload of the company that ANAF named in its
// duplicate refusal; 0 when ANAF named none or one that is not ours.
func (e *Engine) duplicateOf(ctx context.Context, u *store.Upload, errs []store.UploadError) int64 {
	for _, er := range errs {
		m := reDuplicate.FindStringSubmatch(er.Message)
		if m == nil {
			continue
		}
		prev, err := e.Store.UploadByIncarcare(ctx, u.CompanyID, m[1])
		if err == nil && prev.ID != u.ID {
			return prev.ID
		}
	}
	return 0
}

// ReconcileUpload matches an unknown upload against the company's archived
// messages: a FACTURA TRIMISA with its seller, number and issue date whose
// index no upload claims makes it ok (with that index, id_descarcare and
// invoice); failing that, when it is the company's only unknown upload
// sent before an unclaimed ERORI FACTURA message, that message makes it
// nok with its errors (an error list names no invoice number, so a second
// unknown upload of the company waits for its own evidence). ok reports a
// match.
func (e *Engine) ReconcileUpload(ctx context.Context, u *store.Upload) (ok bool, err error) {
	st := e.Store
	if u.State != store.UploadUnknown {
		return false, nil
	}
	inv, err := st.SentInvoiceFor(ctx, u.CompanyID, u.SellerCIF, u.InvoiceNumber, u.IssueDate)
	switch {
	case err == nil:
		idx, dl := inv.UploadID, inv.ANAFID
		err := e.transition(ctx, st, u, store.UploadOK, "reconciled with FACTURA TRIMISA id_incarcare="+idx,
			store.UploadUpdate{IDIncarcare: &idx, IDDescarcare: &dl, InvoiceID: &inv.ID}, store.UploadUnknown)
		return err == nil, ignoreMoved(err)
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	since := u.CreatedAt
	if u.SendStartedAt != nil {
		since = *u.SendStartedAt
	}
	cands, err := st.UploadsInState(ctx, u.CompanyID, store.UploadUnknown)
	if err != nil || len(cands) != 1 {
		return false, err
	}
	errsMsgs, err := st.UnclaimedErrorsSince(ctx, u.CompanyID, since.Add(-time.Minute))
	if err != nil || len(errsMsgs) == 0 {
		return false, err
	}
	m := errsMsgs[0]
	errs := e.errorsOf(ctx, u.CompanyID, m.ID)
	if len(errs) == 0 {
		errs = []store.UploadError{{ID: "ANAF", Message: m.Details}}
	}
	up := store.UploadUpdate{IDIncarcare: &m.UploadID, IDDescarcare: &m.ANAFID, Errors: errs}
	if dup := e.duplicateOf(ctx, u, errs); dup != 0 {
		up.DuplicateOf = &dup
	}
	err = e.transition(ctx, st, u, store.UploadNOK, "reconciled with ERORI FACTURA id_incarcare="+m.UploadID, up, store.UploadUnknown)
	return err == nil, ignoreMoved(err)
}
