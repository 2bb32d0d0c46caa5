package compliance

import (
	"sort"
	"time"

	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Invoice is one sent invoice as the checks see it: one invoice identity
// (seller CIF + number BT-1 + issue date BT-2), with where the gateway
// knows it from.
type Invoice struct {
	InvoiceID int64  // the archived FACTURA TRIMISA row; 0 when only an upload knows it
	UploadID  int64  // the gateway's upload; 0 when it was sent outside the gateway
	SellerCIF string // digits
	Number    string // BT-1 as written
	IssueDate time.Time
	// Submitted is when ANAF received it: the upload's time when it went
	// through the gateway, else the creation time of ANAF's FACTURA
	// TRIMISA message (a little after the upload itself). Zero when ANAF
	// has not accepted it (an upload refused, invalid or still in flight).
	Submitted time.Time
	// Refused: ANAF refused it or the gateway found it invalid, and no
	// other upload of it is accepted or in flight: ANAF does not hold
	// the number (CheckNumbering leaves it out; CheckDeadlines counts it
	// overdue once its deadline passed).
	Refused bool
}

// DeadlineStatus is where an invoice stands against its deadline.
type DeadlineStatus string

// The statuses.
const (
	OnTime  DeadlineStatus = "on_time" // sent on or before its last day
	Late    DeadlineStatus = "late"    // sent after its last day
	Overdue DeadlineStatus = "overdue" // not (yet) accepted by ANAF, and its last day has passed
	Open    DeadlineStatus = "open"    // not (yet) accepted by ANAF, still in time
)

// DeadlineRow is one invoice checked against its deadline.
type DeadlineRow struct {
	Invoice
	Due      time.Time       // last day to send it (00:00 UTC, a calendar date)
	Regime   deadline.Regime // the law that set Due (by the issue date)
	Status   DeadlineStatus
	DaysLate int // calendar days after Due: when it was sent (Late) or as of today (Overdue)
}

// DeadlineReport is the deadline check of a set of sent invoices.
type DeadlineReport struct {
	Checked int           // invoices checked
	OnTime  int           // of which sent in time
	Open    int           // of which not sent yet, still in time
	Late    []DeadlineRow // sent late, most days late first
	Overdue []DeadlineRow // not accepted by ANAF and past their deadline, most days first
}

// CheckDeadlines checks each invoice against its legal deadline. today is
// the current instant (its day counts in Europe/Bucharest, as the
// submission times do).
func CheckDeadlines(invs []Invoice, today time.Time) DeadlineReport {
	var r DeadlineReport
	now := bucharestDay(today)
	type due struct {
		day    time.Time
		regime deadline.Regime
	}
	dues := map[time.Time]due{} // by issue date: many invoices share one
	for _, inv := range invs {
		if inv.IssueDate.IsZero() {
			continue
		}
		row := DeadlineRow{Invoice: inv}
		d, ok := dues[inv.IssueDate]
		if !ok {
			d.day, d.regime = deadline.Due(inv.IssueDate)
			dues[inv.IssueDate] = d
		}
		row.Due, row.Regime = d.day, d.regime
		r.Checked++
		switch {
		case !inv.Submitted.IsZero():
			if d := daysBetween(row.Due, bucharestDay(inv.Submitted)); d > 0 {
				row.Status, row.DaysLate = Late, d
				r.Late = append(r.Late, row)
			} else {
				row.Status = OnTime
				r.OnTime++
			}
		default:
			if d := daysBetween(row.Due, now); d > 0 {
				row.Status, row.DaysLate = Overdue, d
				r.Overdue = append(r.Overdue, row)
			} else {
				row.Status = Open
				r.Open++
			}
		}
	}
	for _, rows := range [][]DeadlineRow{r.Late, r.Overdue} {
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].DaysLate != rows[j].DaysLate {
				return rows[i].DaysLate > rows[j].DaysLate
			}
			return rows[i].IssueDate.Before(rows[j].IssueDate)
		})
	}
	return r
}

// bucharestDay is the calendar date (00:00 UTC) of instant t in Romania.
func bucharestDay(t time.Time) time.Time {
	y, m, d := t.In(tz.Bucharest()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween is b - a in whole calendar days (both dates at 00:00 UTC).
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a) / (24 * time.Hour))
}

// Merge joins what several sources know of one invoice identity (seller
// CIF + number + issue date): the archived row, the uploads of it. The
// result keeps the first order of identities; its InvoiceID is the
// archived row's, its UploadID the upload ANAF accepted (else the first),
// Submitted the earliest submission any source knows, and Refused only
// when every source is a refused upload.
func Merge(invs []Invoice) []Invoice {
	type acc struct {
		i        int
		accepted bool // UploadID is an upload ANAF accepted
	}
	at := map[string]*acc{}
	var out []Invoice
	for _, inv := range invs {
		id := inv.SellerCIF + "\x00" + inv.Number + "\x00" + inv.IssueDate.Format(time.DateOnly)
		a, ok := at[id]
		if !ok {
			at[id] = &acc{i: len(out), accepted: inv.UploadID != 0 && !inv.Submitted.IsZero()}
			out = append(out, inv)
			continue
		}
		m := &out[a.i]
		if m.InvoiceID == 0 {
			m.InvoiceID = inv.InvoiceID
		}
		m.Refused = m.Refused && inv.Refused
		if inv.UploadID != 0 && (m.UploadID == 0 || !a.accepted && !inv.Submitted.IsZero()) {
			m.UploadID, a.accepted = inv.UploadID, !inv.Submitted.IsZero()
		}
		if !inv.Submitted.IsZero() && (m.Submitted.IsZero() || inv.Submitted.Before(m.Submitted)) {
			m.Submitted = inv.Submitted
		}
	}
	return out
}
