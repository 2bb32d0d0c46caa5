package mail

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/locale"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// DigestHour is the hour (Romanian time) from which the digest of the
// previous day goes out; the periodic job runs hourly, so a digest is
// sent between 07:00 and 08:00 (or at the first run after a down time).
const DigestHour = 7

// deadlineLookback is how far back an upload's issue date may lie for its
// legal deadline (5 working days) still to be running.
const deadlineLookback = 20 * 24 * time.Hour

// SendDigests composes and queues the daily digests due at the service's
// clock: one mail per user grouping the events kept for them before today
// (Romanian time), company by company — received invoices with totals per
// currency, uploads ANAF rejected, failed syncs, ANAF connection notices —
// and the company's invoices not yet accepted by ANAF whose legal deadline
// runs out today or on the next working day. Idempotent per user and day.
// It returns how many digests it queued.
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	if !s.On() {
		return 0, nil
	}
	local := s.now().In(tz.Bucharest())
	if local.Hour() < DigestHour {
		return 0, nil
	}
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tz.Bucharest())
	covered := dayStart.AddDate(0, 0, -1).Format(time.DateOnly)

	users, err := s.st.DigestUsers(ctx, dayStart)
	if err != nil {
		return 0, err
	}
	near, err := s.nearDeadlines(ctx, local)
	if err != nil {
		return 0, err
	}
	// Members in digest mode of a company with a deadline near get a digest too.
	for companyID := range near {
		subs, err := s.st.CompanySubscribers(ctx, companyID)
		if err != nil {
			return 0, err
		}
		for _, sub := range subs {
			if sub.Mode == store.NotifyDigest {
				users = append(users, sub.UserID)
			}
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i] < users[j] })
	sent := 0
	var errs []error
	for i, uid := range users {
		if i > 0 && users[i-1] == uid {
			continue
		}
		ok, err := s.digestFor(ctx, uid, dayStart, covered, near)
		if err != nil {
			errs = append(errs, err) // one user's failure does not stop the others
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// nearDeadlines are, per company, the uploads not accepted by ANAF whose
// legal deadline is today or the next working day (Romanian dates).
func (s *Service) nearDeadlines(ctx context.Context, local time.Time) (map[int64][]store.Upload, error) {
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	next := today.AddDate(0, 0, 1)
	for !deadline.IsWorkingDay(next) {
		next = next.AddDate(0, 0, 1)
	}
	ups, err := s.st.UploadsAwaitingAcceptance(ctx, today.Add(-deadlineLookback).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	out := map[int64][]store.Upload{}
	for _, u := range ups {
		issue, err := deadline.ParseDate(u.IssueDate)
		if err != nil {
			continue
		}
		due, _ := deadline.Due(issue)
		if !due.Before(today) && !due.After(next) {
			out[u.CompanyID] = append(out[u.CompanyID], u)
		}
	}
	return out, nil
}

// digestFor queues one user's digest; false when there is nothing to say
// or it was queued already.
func (s *Service) digestFor(ctx context.Context, uid int64, dayStart time.Time, covered string, near map[int64][]store.Upload) (bool, error) {
	u, err := s.st.UserByID(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if u.Status != store.UserApproved {
		return false, nil
	}
	items, err := s.st.OpenDigestItems(ctx, uid, dayStart)
	if err != nil {
		return false, err
	}
	prefs, err := s.st.NotifyPrefs(ctx, uid)
	if err != nil {
		return false, err
	}
	lang := u.Lang
	var sections []section
	for _, p := range prefs {
		if p.Mode != store.NotifyDigest {
			continue // chose otherwise since: its kept items are dropped below
		}
		var its []store.DigestItem
		for _, it := range items {
			if it.CompanyID == p.CompanyID {
				its = append(its, it)
			}
		}
		ups := near[p.CompanyID]
		if len(its) == 0 && len(ups) == 0 {
			continue
		}
		c := &store.Company{ID: p.CompanyID, CIF: p.CompanyCIF, Name: p.CompanyName}
		sections = append(sections, s.digestSection(lang, c, its, ups))
	}
	if len(sections) == 0 {
		if len(items) > 0 { // kept for a company no longer in digest mode (or left)
			return false, s.st.DropDigestItems(ctx, uid, dayStart)
		}
		return false, nil
	}
	v := &view{Lang: lang, Heading: tr(lang, "digest.heading", locale.Day(lang, covered)), Sections: sections,
		Link: s.baseURL + "/", LinkLabel: tr(lang, "open"), Footer: tr(lang, "footer.digest"),
		UnsubscribeURL: s.UnsubscribeURL(Unsubscribe{UserID: uid, Scope: ScopeAll})}
	m := s.compose(v, tr(lang, "subject.digest", locale.Day(lang, covered)))
	m.DedupeKey = "digest:" + covered + ":" + strconv.FormatInt(uid, 10)
	m.Kind, m.UserID, m.To = KindDigest, uid, u.Email
	queued := false
	err = s.st.WithTx(ctx, func(tx *store.Store) error {
		inserted, err := tx.InsertMail(ctx, m)
		if err != nil || !inserted {
			return err // already sent today: the items wait for tomorrow's
		}
		if s.Enqueue != nil {
			if err := s.Enqueue(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		queued = true
		return tx.CloseDigestItems(ctx, uid, dayStart, m.ID)
	})
	return queued, err
}

// digestSection is one company's part of a digest.
func (s *Service) digestSection(lang string, c *store.Company, its []store.DigestItem, ups []store.Upload) section {
	byType := map[string][]store.DigestItem{}
	for _, it := range its {
		byType[it.EventType] = append(byType[it.EventType], it)
	}
	sec := section{Title: companyTitle(lang, c)}
	if rs := byType[notify.InvoiceReceived]; len(rs) > 0 {
		g := group{Title: tr(lang, "digest.received", len(rs))}
		sums := map[string]decimal.Decimal{}
		for _, it := range rs {
			ev := notify.Event{Type: it.EventType, CompanyID: c.ID}
			d := parseData([]byte(it.Data))
			party := d.SupplierName
			if party == "" {
				party = tr(lang, "unknown.party")
			}
			g.Items = append(g.Items, item{Text: tr(lang, "invoice.line", party, orDash(d.InvoiceNumber), orDash(d.total(lang))), URL: s.link(ev, d)})
			if d.TotalAmount.Valid {
				sums[d.Currency] = sums[d.Currency].Add(d.TotalAmount.Decimal)
			}
		}
		if len(sums) > 0 {
			g.Notes = append(g.Notes, tr(lang, "totals", moneySums(lang, sums)))
		}
		sec.Groups = append(sec.Groups, g)
	}
	if ns := byType[notify.UploadNOK]; len(ns) > 0 {
		g := group{Title: tr(lang, "digest.nok", len(ns))}
		for _, it := range ns {
			d := parseData([]byte(it.Data))
			text := tr(lang, "upload.line", orDash(d.InvoiceNumber), orDash(locale.Day(lang, d.day())))
			if len(d.Errors) > 0 {
				text += " — " + strings.TrimSpace(d.Errors[0].ID+" "+d.Errors[0].Message)
			}
			g.Items = append(g.Items, item{Text: text, URL: s.link(notify.Event{Type: it.EventType, CompanyID: c.ID}, d)})
		}
		sec.Groups = append(sec.Groups, g)
	}
	// One group per title: a connection expiring and one needing its user
	// are both "ANAF connection" notices, counted together.
	for _, k := range []struct {
		types []string
		title string
	}{
		{[]string{notify.SyncFailed}, "digest.sync"},
		{[]string{notify.ConnectionExpiring, notify.ConnectionNeedsAttention}, "digest.conn"},
		{[]string{notify.SPVAtRisk}, "digest.spv"},
	} {
		var xs []store.DigestItem
		for _, typ := range k.types {
			xs = append(xs, byType[typ]...)
		}
		sort.SliceStable(xs, func(i, j int) bool { return xs[i].CreatedAt.Before(xs[j].CreatedAt) })
		if len(xs) > 0 {
			g := group{Title: tr(lang, k.title, len(xs))}
			for _, it := range xs {
				ev := notify.Event{Type: it.EventType, CompanyID: c.ID}
				d := parseData([]byte(it.Data))
				_, facts := eventFacts(lang, ev, d)
				g.Items = append(g.Items, item{Text: locale.DateTime(lang, it.CreatedAt) + ": " + strings.Join(facts, " "), URL: s.link(ev, d)})
			}
			sec.Groups = append(sec.Groups, g)
		}
	}
	if len(ups) > 0 {
		g := group{Title: tr(lang, "digest.deadline", len(ups)), Notes: []string{tr(lang, "digest.deadline.explain")}}
		for _, u := range ups {
			due := ""
			if issue, err := deadline.ParseDate(u.IssueDate); err == nil {
				d, _ := deadline.Due(issue)
				due = locale.Day(lang, d.Format(time.DateOnly))
			}
			g.Items = append(g.Items, item{Text: tr(lang, "deadline.line", orDash(u.InvoiceNumber), locale.Day(lang, u.IssueDate), due),
				URL: s.baseURL + "/uploads/" + strconv.FormatInt(u.ID, 10)})
		}
		sec.Groups = append(sec.Groups, g)
	}
	return sec
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// moneySums writes per-currency sums, currencies in alphabetical order.
func moneySums(lang string, sums map[string]decimal.Decimal) string {
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	parts := make([]string, 0, len(curs))
	for _, c := range curs {
		parts = append(parts, locale.Money(lang, sums[c].StringFixed(2), c))
	}
	return strings.Join(parts, "; ")
}
