package anafsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/store"
)

// listPages works page after page from the run's cursor until the last
// page, the step's bound or an error.
func (s *syncStep) listPages() error {
	run := s.run
	for {
		page := run.NextPage
		if page > anaf.MaxPages {
			return fmt.Errorf("listing ANAF messages for CIF %s: more than %d pages", s.company.CIF, anaf.MaxPages)
		}
		if err := s.ctx.Err(); err != nil {
			return interrupted(err)
		}
		if s.outOfTime() {
			return s.yield()
		}
		s.report(func(p *Progress) { p.Phase = "listing"; p.Page = page })
		msgs, total, err := s.listPage(page)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil // no messages, or past the last page
		}
		run.TotalPages = max(run.TotalPages, total)
		if err := s.archivePage(page, msgs, total); err != nil {
			return err
		}
		if run.NextPage > run.TotalPages {
			return nil
		}
	}
}

// listPage lists one page with the step's token. A 401 refreshes the
// token once per step; ANAF refusing the member's rights on the CIF marks
// the member and moves to the next consenting member's token. The first
// successful list records the token's coverage (and verifies the company).
func (s *syncStep) listPage(page int) (msgs []anaf.Message, total int, err error) {
	msgs, total, err = s.list(page)
	if errors.Is(err, anaf.ErrUnauthorized) {
		if err = s.reauth(err); err != nil {
			return nil, 0, err
		}
		if msgs, total, err = s.list(page); errors.Is(err, anaf.ErrUnauthorized) {
			return nil, 0, s.e.refusedAfterRefresh(s.wctx, s.tok, err)
		}
	}
	for errors.Is(err, anaf.ErrNoRights) {
		if err = s.nextMember(err); err != nil {
			return nil, 0, err
		}
		msgs, total, err = s.list(page)
	}
	if err == nil && !s.covered {
		s.covered = true
		s.e.covered(s.wctx, s.company, s.tok.userID)
	}
	switch {
	case err != nil && s.ctx.Err() != nil:
		return nil, 0, interrupted(err)
	case errors.Is(err, anaf.ErrQuota):
		return nil, 0, s.quotaWait(err)
	case err != nil:
		return nil, 0, fmt.Errorf("listing ANAF messages for CIF %s: %w", s.company.CIF, err)
	}
	return msgs, total, nil
}

// list asks ANAF for one page, retrying transient failures.
func (s *syncStep) list(page int) (msgs []anaf.Message, total int, err error) {
	err = anaf.Retry(s.ctx, s.e.retry(), func() error {
		msgs, total, err = s.client.ListMessagesPage(s.ctx, s.tok.access, s.company.CIF, *s.run.WindowStart, *s.run.WindowEnd, page)
		return err
	})
	return msgs, total, err
}

// reauth refreshes a token ANAF refused although it should be valid; once
// per step: a second refusal ends the run instead of looping.
func (s *syncStep) reauth(cause error) error {
	if s.refreshed {
		return s.e.refusedAfterRefresh(s.wctx, s.tok, cause)
	}
	s.refreshed = true
	nt, err := s.e.refresh(s.ctx, s.client, s.tok)
	if err != nil {
		return err
	}
	s.tok = nt
	return nil
}

// nextMember handles ANAF's refusal of the member's rights on the CIF
// (cause): it marks the member and takes the next consenting member's
// token, never anyone else's.
func (s *syncStep) nextMember(cause error) error {
	s.e.notCovered(s.wctx, s.company, s.tok.userID, cause)
	s.refused[s.tok.userID] = true
	next, err := s.e.token(s.ctx, s.client, s.run.CompanyID, s.refused)
	if err != nil {
		if errors.Is(err, ErrNoConnection) {
			return fmt.Errorf("%w (ANAF: %w)", ErrNoConnection, cause)
		}
		return err
	}
	s.tok, s.refreshed = next, false
	return nil
}

// archivePage archives the page's messages of the company's own CIF that
// are not archived yet, then moves the cursor past the page.
func (s *syncStep) archivePage(page int, msgs []anaf.Message, total int) error {
	run, res := s.run, s.res
	own, foreign := s.e.ownMessages(s.company, msgs)
	ids := make([]string, len(own))
	for i, m := range own {
		ids[i] = m.ID
	}
	have, err := s.e.Store.ExistingANAFIDs(s.ctx, run.CompanyID, ids)
	if err != nil {
		if s.ctx.Err() != nil {
			return interrupted(err)
		}
		return fmt.Errorf("reading the archive: %w", err)
	}
	var todo, candidates []anaf.Message
	var candidateIDs []string
	for _, m := range own {
		if !have[m.ID] {
			candidates = append(candidates, m)
			candidateIDs = append(candidateIDs, m.ID)
		}
	}
	s.pageDeferred, s.pageExpired, s.pageDeferredUntil, s.pageExpiredText = 0, 0, time.Time{}, ""
	s.states, err = s.e.Store.MessageStates(s.ctx, run.CompanyID, candidateIDs)
	if err != nil {
		if s.ctx.Err() != nil {
			return interrupted(err)
		}
		return fmt.Errorf("reading the archive: %w", err)
	}
	for _, m := range candidates {
		st := s.states[m.ID]
		switch {
		case st != nil && st.State == store.MessageExpired:
			// Terminal: ANAF said it is past its retention; never asked again.
			s.pageExpired++
			s.pageExpiredText = st.ANAFText
		case st != nil && st.State == store.MessageDeferred && st.DeferredUntil != nil && s.e.now().Before(*st.DeferredUntil):
			// Waits for ANAF's daily quota reset: not asked before it.
			s.deferred(*st.DeferredUntil)
		default:
			todo = append(todo, m)
		}
	}
	s.report(func(p *Progress) {
		p.Phase = "downloading"
		p.Pages = run.TotalPages
		p.Found = res.Found + len(own)
		p.Todo += len(todo)
	})
	s.pageFailed, s.pageAtRisk = 0, 0
	if err := s.archiveTodo(todo); err != nil {
		return err
	}
	res.Found += len(own)
	res.Failed += s.pageFailed
	run.AtRisk += s.pageAtRisk
	run.Deferred += s.pageDeferred
	if s.pageDeferredUntil.After(timeOr(run.DeferredUntil)) {
		u := s.pageDeferredUntil.UTC()
		run.DeferredUntil = &u
	}
	run.Expired += s.pageExpired
	if s.pageExpiredText != "" {
		run.ExpiredText = s.pageExpiredText
	}
	if len(foreign) > 0 {
		run.Foreign += len(foreign)
		run.ForeignCIFs = mergeCIFs(run.ForeignCIFs, foreign)
	}
	run.Pages++
	run.NextPage = page + 1
	if total == 0 && len(msgs) >= anaf.PageSize && page >= run.TotalPages {
		run.TotalPages = page + 1 // a full page without a total: ask for the next one
	}
	if err := s.save(); err != nil {
		return fmt.Errorf("recording sync progress: %w", err)
	}
	return nil
}

// archiveTodo archives the page's messages to do: up to
// Engine.concurrency() are fetched at once (downloaded, parsed, validated)
// while those fetched are stored in batches of at most Engine.batchSize()
// messages, one transaction each (flush). A message that fails is counted
// (the run goes on); errors end the step, after what was fetched is stored.
//
// The width starts at one message and doubles with each success up to
// the concurrency; any failure brings it back to one. A failing ANAF
// (5xx, malformed answers, 401) is thus met one request at a time, as by
// a serial sync: one refresh per step, retries and re-downloads of one
// message, no burst of parallel failures spending quota.
func (s *syncStep) archiveTodo(todo []anaf.Message) error {
	var (
		results  = make(chan fetched)
		pending  []fetched // fetched, waiting for the batch
		failed   []fetched // failed, handled (messageFailed) after the last batch
		retry    []anaf.Message
		next     int
		inflight int
		stop     error // ends the step once what runs is done
		timer    *time.Timer
		timerC   <-chan time.Time
		hints    map[string]lookHint // of todo[next:looked]
		looked   int
		fetching = map[string]bool{} // the ids in flight
	)
	defer func() {
		// Claims taken ahead for messages the step did not start.
		s.e.releaseHints(s.wctx, hints, s.owner)
	}()
	// The download claims held (taken ahead, in flight, fetched and
	// waiting for their batch) are renewed while the page is worked: a
	// slow chunk keeps them past downloadClaimTTL.
	renew := time.NewTicker(claimRenewEvery)
	defer renew.Stop()
	conc, batch := s.e.concurrency(), s.e.batchSize()
	width := 1
	flush := func() {
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		if len(pending) == 0 {
			return
		}
		s.flush(pending, &failed)
		pending = pending[:0]
		if err := s.checkpoint(); err != nil && stop == nil {
			stop = fmt.Errorf("recording sync progress: %w", err)
			if s.ctx.Err() != nil {
				stop = interrupted(err)
			}
		}
	}
	for {
		for stop == nil && inflight < width && (len(retry) > 0 || next < len(todo)) {
			if err := s.ctx.Err(); err != nil {
				stop = interrupted(err)
				break
			}
			if next > 0 && s.outOfTime() {
				// Out of time mid-page: what is fetched is stored and
				// counted; the page is listed again next step
				// (archived ones are skipped).
				stop = errYield
				break
			}
			var (
				m    anaf.Message
				hint lookHint
			)
			if len(retry) > 0 {
				m, retry = retry[0], retry[1:]
			} else {
				if next >= looked {
					// The next chunk's lookups and claims, at once.
					looked = next + lookAheadSize(width)
					hints = s.e.lookAhead(s.ctx, todo[next:min(looked, len(todo))], s.owner, hints)
				}
				m = todo[next]
				next++
				hint = hints[m.ID]
				delete(hints, m.ID)
			}
			inflight++
			fetching[m.ID] = true
			go func(tok *token) {
				results <- s.e.fetch(s.ctx, s.client, tok, s.company, m, s.owner, hint)
			}(s.tok)
		}
		if inflight == 0 {
			break
		}
		select {
		case f := <-results:
			inflight--
			delete(fetching, f.m.ID)
			if f.err != nil {
				width = 1
			}
			switch {
			case f.err == nil:
				width = min(2*width, conc)
				pending = append(pending, f)
				if timer == nil {
					timer = time.NewTimer(maxBatchDelay)
					timerC = timer.C
				}
			case errors.Is(f.err, anaf.ErrUnauthorized) && stop == nil:
				// One refresh per step; a message refused with a token
				// already replaced is asked again with the new one.
				if f.tok == s.tok {
					if err := s.reauth(f.err); err != nil {
						stop = err
						break
					}
				}
				retry = append(retry, f.m)
			case errors.Is(f.err, anaf.ErrUnauthorized):
				// The step ends anyway: listed again next time.
			default:
				if fatal(s.ctx, f.err) && stop == nil {
					stop = errStopFetching
				}
				failed = append(failed, f)
			}
			s.report(func(p *Progress) { p.Done++; p.Failed = s.res.Failed + s.pageFailed + len(failed) })
			if len(pending) >= batch {
				flush()
			}
		case <-timerC:
			timer, timerC = nil, nil
			flush()
		case <-renew.C:
			s.e.renewClaims(s.ctx, hints, fetching, pending, s.owner)
		}
	}
	flush()
	// Failures in the order they came: the first fatal one ends the step
	// (messageFailed records the cursor first); the others are counted.
	for _, f := range failed {
		if err := s.messageFailed(f.m, f.err); err != nil {
			if stop == nil || errors.Is(stop, errStopFetching) {
				stop = err
			}
			break
		}
	}
	switch {
	case errors.Is(stop, errYield):
		return s.yield()
	case errors.Is(stop, errStopFetching):
		return nil
	}
	return stop
}

// errStopFetching: a failure that ends the step (fatal) was met; no new
// message is started and messageFailed says how the step ends.
var errStopFetching = errors.New("stop fetching")

// maxBatchDelay bounds how long a fetched message waits for its batch to
// fill: its download claim (downloadClaimTTL) and the run's progress stay fresh.
const maxBatchDelay = 500 * time.Millisecond

// fatal reports a message failure that ends the step (messageFailed):
// an interruption, a run-wide quota, the archive's storage.
func fatal(ctx context.Context, err error) bool {
	return ctx.Err() != nil || (errors.Is(err, anaf.ErrQuota) && !perMessageQuota(err)) || store.IsStorageError(err)
}

// flush stores the fetched messages in one transaction, which also
// releases their download claims, and counts them. When the batch cannot be stored
// for another reason than the storage (a row the database refuses), each
// message is stored alone, so one bad row fails only itself; the messages
// that still fail go to failed. A storage failure ends the step
// (messageFailed, via failed).
func (s *syncStep) flush(batch []fetched, failed *[]fetched) {
	items := make([]store.ArchiveItem, len(batch))
	for i, f := range batch {
		items[i] = store.ArchiveItem{Invoice: f.inv, Validation: f.verdict, Claimed: f.claimed}
	}
	// What was fetched is stored even when the step is interrupted (the
	// downloads are spent); inserts are idempotent, a lost lease included.
	err := s.e.Store.ArchiveBatch(s.wctx, items, s.owner)
	if err != nil && !store.IsStorageError(err) && len(items) > 1 {
		for i := range items {
			if ierr := s.e.Store.ArchiveBatch(s.wctx, items[i:i+1], s.owner); ierr != nil {
				batch[i].err = fmt.Errorf("storing message %s: %w", batch[i].m.ID, ierr)
				*failed = append(*failed, batch[i])
			}
		}
	} else if err != nil {
		for i := range batch {
			batch[i].err = fmt.Errorf("storing message %s: %w", batch[i].m.ID, err)
			*failed = append(*failed, batch[i])
		}
	}
	inserted := 0
	for i := range batch {
		f := &batch[i]
		if f.err != nil {
			s.e.release(s.ctx, f, s.owner) // not stored: the claim goes now
			continue
		}
		if f.reused {
			s.res.Reused++
		}
		if items[i].Inserted {
			inserted++
			s.res.New++
			s.stored(f.m, f.inv)
		}
	}
	s.report(func(p *Progress) { p.New = s.res.New })
	s.e.inserted(s.wctx, inserted)
}

// messageFailed decides what a message's failure means: the step's
// interruption, a run-wide quota wait, a storage failure (the step stops
// with the run open and the caller backs off), or, returning nil, a
// failed message counted in the run (retried on the next run).
func (s *syncStep) messageFailed(m anaf.Message, err error) error {
	switch {
	case s.ctx.Err() != nil:
		return interrupted(err)
	case errors.Is(err, anaf.ErrQuota) && perMessageQuota(err):
		// descarcare's daily limit for this message: not retried before
		// the reset (an hourly sync would spend a try every hour).
		return s.defer_(m, err)
	case errors.Is(err, anaf.ErrExpired):
		return s.expired(m, err)
	case errors.Is(err, anaf.ErrQuota) && !perMessageQuota(err):
		// The rate limit or another run-wide quota: wait for its
		// reset instead of failing every remaining message.
		if serr := s.save(); serr != nil {
			return fmt.Errorf("recording sync progress: %w", serr)
		}
		return s.quotaWait(err)
	case store.IsStorageError(err):
		// The archive's storage refuses writes (disk full, I/O
		// error): every further message would fail the same way.
		// Stop the step at once with the run open (this page is
		// listed again; archived ones are skipped) and let the
		// caller back off. The save may fail for the same reason:
		// the last saved cursor then stands.
		if serr := s.save(); serr != nil && !store.IsStorageError(serr) {
			s.e.logger().Error("recording sync progress", slog.String("error", serr.Error()))
		}
		return &stayOpen{fmt.Errorf("archiving message %s of CIF %s: %w", m.ID, s.company.CIF, err)}
	}
	s.pageFailed++
	if !m.CreatedAt.IsZero() && s.e.now().Sub(m.CreatedAt) > AtRiskAge {
		s.pageAtRisk++
	}
	if s.res.Failed+s.pageFailed == 1 {
		s.run.Error = "first error: " + err.Error()
	}
	s.e.logger().Warn("archiving message failed", slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.String("error", err.Error()))
	return nil
}

// ownMessages keeps the messages ANAF listed for the company's own CIF.
// A message whose cif is another CIF (or missing) is dropped: it is never
// stored under this company; foreign holds the CIFs they were listed for
// ("" for none), one per message, counted in the run and logged once per
// run (finishRun).
func (e *Engine) ownMessages(company *store.Company, msgs []anaf.Message) (own []anaf.Message, foreign []string) {
	want, err := cif.Normalize(company.CIF)
	if err != nil {
		want = strings.TrimSpace(company.CIF)
	}
	own = make([]anaf.Message, 0, len(msgs))
	for _, m := range msgs {
		if got, err := cif.Normalize(m.CIF); err == nil && got == want {
			own = append(own, m)
			continue
		}
		foreign = append(foreign, strings.TrimSpace(m.CIF))
	}
	return own, foreign
}

// mergeCIFs adds cifs to the sorted comma-separated list have, once each;
// an empty CIF is written "(none)".
func mergeCIFs(have string, cifs []string) string {
	set := map[string]bool{}
	for _, c := range strings.Split(have, ",") {
		if c = strings.TrimSpace(c); c != "" {
			set[c] = true
		}
	}
	for _, c := range cifs {
		if c == "" {
			c = "(none)"
		}
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// deferred counts a message of the page deferred until the quota reset.
func (s *syncStep) deferred(until time.Time) {
	s.pageDeferred++
	if until.After(s.pageDeferredUntil) {
		s.pageDeferredUntil = until
	}
}

// defer_ records ANAF's daily download limit for message m (err): the
// message waits for the quota reset (anaf.NextQuotaReset) and is not
// asked for before it, whoever syncs. When it had waited for a reset
// already, ANAF's refusal after it is logged: the reset time is assumed.
func (s *syncStep) defer_(m anaf.Message, err error) error {
	now := s.e.now()
	until := anaf.NextQuotaReset(now)
	var ae *anaf.Error
	text := err.Error()
	if errors.As(err, &ae) {
		text = ae.Text
		if ae.ResetAt.After(now) {
			until = ae.ResetAt.UTC()
		}
	}
	if prev := s.states[m.ID]; prev != nil && prev.State == store.MessageDeferred {
		s.e.logger().Warn("ANAF still refuses a download after the assumed daily quota reset (midnight, Europe/Bucharest)",
			slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.Time("deferred_until", timeOr(prev.DeferredUntil)),
			slog.String("anaf", text))
	}
	if serr := s.e.Store.SetMessageState(s.wctx, &store.MessageState{CompanyID: s.company.ID, ANAFID: m.ID,
		State: store.MessageDeferred, DeferredUntil: &until, ANAFText: text, MessageType: m.Type, ANAFCreatedAt: timePtr(m.CreatedAt)}); serr != nil {
		return s.storeFailed(m, serr)
	}
	s.deferred(until)
	s.e.logger().Info("ANAF's daily download limit reached for a message; deferred until the quota reset",
		slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.Time("until", until))
	return nil
}

// expired records a message ANAF refuses as past its 60-day retention
// (err): terminal, never requested again, reported in the run.
func (s *syncStep) expired(m anaf.Message, err error) error {
	text := err.Error()
	var ae *anaf.Error
	if errors.As(err, &ae) && ae.Text != "" {
		text = ae.Text
	}
	if serr := s.e.Store.SetMessageState(s.wctx, &store.MessageState{CompanyID: s.company.ID, ANAFID: m.ID,
		State: store.MessageExpired, ANAFText: text, MessageType: m.Type, ANAFCreatedAt: timePtr(m.CreatedAt)}); serr != nil {
		return s.storeFailed(m, serr)
	}
	s.pageExpired++
	s.pageExpiredText = text
	s.e.logger().Warn("ANAF refuses a message past its 60-day retention; recorded as expired",
		slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.String("anaf", text))
	return nil
}

// storeFailed is a failure to record a message's state: counted as a
// failed message (retried next run), or a storage stop.
func (s *syncStep) storeFailed(m anaf.Message, err error) error {
	if store.IsStorageError(err) {
		return &stayOpen{fmt.Errorf("recording message %s of CIF %s: %w", m.ID, s.company.CIF, err)}
	}
	s.pageFailed++
	if s.res.Failed+s.pageFailed == 1 {
		s.run.Error = "first error: " + err.Error()
	}
	return nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// stored follows a message archived by this run: its recorded state (a
// deferral) is forgotten, and a duplicate or conflicting identity counted.
func (s *syncStep) stored(m anaf.Message, inv *store.Invoice) {
	if st := s.states[m.ID]; st != nil {
		if err := s.e.Store.ClearMessageState(s.wctx, s.company.ID, m.ID); err != nil {
			s.e.logger().Warn("forgetting a message's deferral", slog.String("id", m.ID), slog.String("error", err.Error()))
		}
	}
	if inv == nil {
		return
	}
	// The rows marked may be this one or, when this one is older than
	// what was archived first (lists come newest first), the earlier ones.
	if inv.MarkedDuplicates > 0 {
		s.run.Duplicates += inv.MarkedDuplicates
		s.e.logger().Info("ANAF listed an archived invoice again under another message id; the later is marked duplicate_of the first",
			slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.String("number", inv.InvoiceNumber))
	}
	if inv.MarkedConflicts > 0 {
		s.run.Conflicts += inv.MarkedConflicts
		s.e.logger().Warn("an invoice has the identity (seller CIF, number, issue date) of an archived one with another total",
			slog.String("cif", s.company.CIF), slog.String("id", m.ID), slog.String("number", inv.InvoiceNumber))
	}
}
