package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"sort"
	"time"

	"github.com/efactura-gateway/efactura/internal/chain"
)

// The statements of insertInvoices: each writes up to 64 rows (multirow.go).
var (
	insertInvoiceRows = newMultiRow(29, `
	INSERT INTO invoices (company_id, anaf_id, upload_id, message_type, details, cif_emitent,
		cif_beneficiar, anaf_created_at, document_type, invoice_number, issue_date, due_date,
		currency, issuer_name, receiver_name, supplier_cif, total_amount, total_amount_num,
		vat_amount, parse_error, search_text, zip_sha256, synced_at,
		validation_state, validation_errors, validation_warnings, validation_report, validated_with, validated_at)
	VALUES `, ",\n\t", `
	ON CONFLICT (company_id, anaf_id) DO NOTHING
	RETURNING id, company_id, anaf_id`, valuesTuple)

	// insertBlobRows stores inserted invoices' ZIP and parsed JSON beside
	// their rows (migration 00011), so lists read small rows.
	insertBlobRows = newMultiRow(3, `INSERT INTO invoice_blobs (invoice_id, zip, parsed_json) VALUES `, ", ", ``, valuesTuple)

	insertChainRows = newMultiRow(8, `INSERT INTO archive_chain (company_id, seq, invoice_id, anaf_id, zip_sha256, prev_hash, entry_hash, created_at)
	VALUES `, ", ", ``, valuesTuple)

	insertEventRows = newMultiRow(7, `INSERT INTO events (public_id, company_id, type, subject_id, detail, dedupe_key, created_at)
	VALUES `, ", ", ` ON CONFLICT DO NOTHING RETURNING id, public_id`, valuesTuple)

	// identityRows reads the rows of identity groups (markIdentities), each
	// group's condition probing invoices_identity_idx.
	identityRows = newMultiRow(5, `SELECT id, company_id, supplier_cif, invoice_number, issue_date, message_type,
	anaf_created_at, anaf_id, total_amount, duplicate_of, conflict_of FROM invoices WHERE `, "\n\tOR ", ``,
		func(p []string) string {
			return "(company_id = " + p[0] + " AND supplier_cif = " + p[1] + " AND invoice_number = " + p[2] +
				" AND issue_date = " + p[3] + " AND message_type = " + p[4] + ")"
		})
)

const existingInvoiceSQL = `SELECT id, duplicate_of, conflict_of FROM invoices WHERE company_id = $1 AND anaf_id = $2`

// prepareArchive prepares the statements of insertInvoices (SQLite),
// outside a transaction (see prepared).
func (s *Store) prepareArchive(ctx context.Context) {
	if s.dialect != SQLite || s.inTx {
		return
	}
	for _, m := range []*multiRow{insertInvoiceRows, insertBlobRows, insertChainRows, insertEventRows, identityRows} {
		m.prepare(ctx, s)
	}
	for _, q := range []string{existingInvoiceSQL, lockChainSQL, setChainHeadSQL} {
		s.prepared(ctx, q)
	}
}

// invoiceKey is an invoice's unique key in the archive.
type invoiceKey struct {
	companyID int64
	anafID    string
}

// insertInvoices inserts invs, in order, in the transaction of s, each
// with its validation verdict vs[i] in its row (nil: none; its
// ValidatedAt set to now when nil), as InsertInvoice does each: idempotent
// on (company, ANAF id) — inserted[i] is false when the row existed, or
// when an earlier item of invs had the same key, and invs[i].ID is then the
// existing row's id — with the ZIP's blobs, its archive chain entry, the
// identity marks and the invoice's event. The rows of a kind are written
// together (multiRow: a few statements per batch instead of one per
// message and kind, issue 16); the outcome — rows, marks, chain order,
// events, each invoice's DuplicateOf, ConflictOf and Marked* — is that of
// inserting the invoices one after the other.
//
// batchQueue: the events' dispatch is queued in one job (EventBatchQueue,
// the sync's batches) rather than one job per event.
func (s *Store) insertInvoices(ctx context.Context, invs []*Invoice, vs []*InvoiceValidation, batchQueue bool) (inserted []bool, err error) {
	rows := make([][]any, len(invs))
	for i, inv := range invs {
		if rows[i], err = s.invoiceRow(inv, vs[i]); err != nil {
			return nil, err
		}
	}
	ids := make(map[invoiceKey]int64, len(invs))
	err = insertInvoiceRows.query(ctx, s, len(invs), func(i int, dst []any) []any { return append(dst, rows[i]...) },
		func(r *sql.Rows) error {
			var (
				k  invoiceKey
				id int64
			)
			if err := r.Scan(&id, &k.companyID, &k.anafID); err != nil {
				return err
			}
			ids[k] = id
			return nil
		})
	if err != nil {
		return nil, s.wrap("insert invoice", err)
	}
	inserted = make([]bool, len(invs))
	news := make([]*Invoice, 0, len(ids))
	for i, inv := range invs {
		k := invoiceKey{inv.CompanyID, inv.ANAFID}
		if id, ok := ids[k]; ok {
			inv.ID, inserted[i] = id, true
			delete(ids, k) // a later item with the same key found it existing
			news = append(news, inv)
			continue
		}
		// The row exists: its id and marks.
		err := s.queryRow(ctx, existingInvoiceSQL, inv.CompanyID, inv.ANAFID).Scan(&inv.ID, nullIDCol{&inv.DuplicateOf}, nullIDCol{&inv.ConflictOf})
		if err != nil {
			return nil, s.wrap("insert invoice: existing", err)
		}
	}
	if len(news) == 0 {
		return inserted, nil
	}
	err = insertBlobRows.exec(ctx, s, len(news), func(i int, dst []any) []any {
		zip := news[i].ZIP
		if zip == nil {
			zip = []byte{} // NOT NULL column; an empty ZIP is still a value
		}
		return append(dst, news[i].ID, zip, news[i].ParsedJSON)
	})
	if err != nil {
		return nil, s.wrap("insert invoice blobs", err)
	}
	// The tamper-evident chain (chain.go): the entries in the same transaction.
	if err := s.chainInvoices(ctx, news); err != nil {
		return nil, err
	}
	if err := s.markIdentities(ctx, invs, inserted); err != nil {
		return nil, err
	}
	return inserted, s.invoiceEvents(ctx, news, batchQueue) // events.go (issue 19)
}

// invoiceRow completes inv (ZIP SHA-256, times) and v (ValidatedAt) and
// returns the parameters of its insertInvoiceRows tuple.
func (s *Store) invoiceRow(inv *Invoice, v *InvoiceValidation) ([]any, error) {
	var (
		vState, vReport, vWith string
		vErrors, vWarnings     int
		vAt                    any
	)
	if v != nil {
		if v.ValidatedWith == "" {
			return nil, errors.New("store: insert invoice: ValidatedWith is required with a verdict")
		}
		at := now()
		if v.ValidatedAt != nil {
			at = utcMicro(*v.ValidatedAt)
		}
		v.ValidatedAt = &at
		vState, vErrors, vWarnings, vReport, vWith, vAt = v.State, v.Errors, v.Warnings, string(v.Report), v.ValidatedWith, s.tv(at)
	}
	if len(inv.ZIPSHA256) == 0 {
		sum := sha256.Sum256(inv.ZIP)
		inv.ZIPSHA256 = sum[:]
	}
	if inv.SyncedAt.IsZero() {
		inv.SyncedAt = now()
	}
	inv.SyncedAt = utcMicro(inv.SyncedAt)
	inv.ANAFCreatedAt = utcMicro(inv.ANAFCreatedAt)
	search := foldSearch(inv.InvoiceNumber + "\n" + inv.IssuerName + "\n" + inv.ReceiverName)
	return []any{
		inv.CompanyID, inv.ANAFID, inv.UploadID, inv.MessageType, inv.Details, inv.CIFEmitent,
		inv.CIFBeneficiar, s.tv(inv.ANAFCreatedAt), inv.DocumentType, inv.InvoiceNumber,
		nullString(inv.IssueDate), inv.DueDate, inv.Currency, inv.IssuerName, inv.ReceiverName,
		inv.SupplierCIF, inv.TotalAmount, numericOrNil(inv.TotalAmount), inv.VATAmount,
		inv.ParseError, search, inv.ZIPSHA256, s.tv(inv.SyncedAt),
		vState, vErrors, vWarnings, vReport, vWith, vAt,
	}, nil
}

// chainInvoices appends the archive chain entries of the inserted invs,
// in order, per company: each company's head is locked (in company order,
// so two batches never wait for each other's heads crosswise), the entries
// written together, and the head moved once. The locks are held to the
// commit: concurrent appenders of a company wait for each other.
func (s *Store) chainInvoices(ctx context.Context, invs []*Invoice) error {
	byCompany := map[int64][]*Invoice{}
	var companies []int64
	for _, inv := range invs {
		if _, ok := byCompany[inv.CompanyID]; !ok {
			companies = append(companies, inv.CompanyID)
		}
		byCompany[inv.CompanyID] = append(byCompany[inv.CompanyID], inv)
	}
	sort.Slice(companies, func(i, j int) bool { return companies[i] < companies[j] })
	heads := make(map[int64]*chain.Entry, len(companies))
	for _, cid := range companies {
		head, err := s.chainHead(ctx, cid)
		if err != nil {
			return err
		}
		heads[cid] = head
	}
	entries := make([]chain.Entry, 0, len(invs))
	for _, inv := range invs {
		e := chain.Next(heads[inv.CompanyID], inv.CompanyID, inv.ID, inv.ANAFID, inv.ZIPSHA256, inv.SyncedAt)
		entries = append(entries, e)
		heads[inv.CompanyID] = &entries[len(entries)-1]
	}
	if err := s.writeChain(ctx, entries); err != nil {
		return err
	}
	for _, cid := range companies {
		if err := s.moveChainHead(ctx, cid, heads[cid]); err != nil {
			return err
		}
	}
	return nil
}

// identityRow is one member of an identity group (markIdentities): its
// marks as the database has them (dup0, confl0) and as inserting the
// invoices one by one leaves them (dup, confl).
type identityRow struct {
	id                    int64
	companyID             int64
	supplier, number      string
	date, typ             string
	created               time.Time
	anafID                string
	total                 string
	dup0, confl0          int64
	dup, confl            int64
	wantDup, wantConflict int64
}

// identityKey is an identity group: InvoiceIdentity's parts, per company
// and message type.
type identityKey struct {
	companyID                   int64
	supplier, number, date, typ string
}

// markIdentities marks the rows of the company and message type sharing
// an inserted invoice's identity (InvoiceIdentity), as inserting invs one
// after the other would: after each inserted one, the first of its group
// (earliest data_creare, then the smaller ANAF id) is the original; every
// other row with the same total is duplicate_of it, one with another total
// conflict_of it. A row is never marked against itself: rows of one
// company have distinct ANAF message ids (an upload the gateway sent and
// the message ANAF lists for it are one row, id_descarcare). Each inserted
// invoice's DuplicateOf, ConflictOf and Marked* are those its own step
// left; a row not inserted reports the marks its row had at its turn.
//
// The groups are read in one statement per 64 groups (after the inserts:
// the new rows are in them), the marks worked out in memory in the
// invoices' order, and only the rows whose marks end up changed updated.
func (s *Store) markIdentities(ctx context.Context, invs []*Invoice, inserted []bool) error {
	var keys []identityKey
	seen := map[identityKey]bool{}
	for i, inv := range invs {
		if !inserted[i] {
			continue
		}
		inv.MarkedDuplicates, inv.MarkedConflicts = 0, 0
		if k, ok := identityOf(inv); ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	rowsByID := map[int64]*identityRow{}
	var all []*identityRow
	err := identityRows.query(ctx, s, len(keys), func(i int, dst []any) []any {
		k := keys[i]
		return append(dst, k.companyID, k.supplier, k.number, k.date, k.typ)
	}, func(r *sql.Rows) error {
		var (
			row  identityRow
			date sql.NullString
		)
		if err := r.Scan(&row.id, &row.companyID, &row.supplier, &row.number, &date, &row.typ, timeCol{&row.created},
			&row.anafID, &row.total, nullIDCol{&row.dup0}, nullIDCol{&row.confl0}); err != nil {
			return err
		}
		row.date = date.String
		row.dup, row.confl = row.dup0, row.confl0
		if rowsByID[row.id] == nil {
			rowsByID[row.id] = &row
			all = append(all, &row)
		}
		return nil
	})
	if err != nil {
		return s.wrap("invoice identity", err)
	}
	// The rows of this call join their group at their turn; the others
	// are in it from the start.
	newIDs := map[int64]bool{}
	for i, inv := range invs {
		if inserted[i] {
			newIDs[inv.ID] = true
		}
	}
	groups := map[identityKey][]*identityRow{}
	for _, r := range all {
		if !newIDs[r.id] {
			k := identityKey{r.companyID, r.supplier, r.number, r.date, r.typ}
			groups[k] = append(groups[k], r)
		}
	}
	for i, inv := range invs {
		if !inserted[i] {
			if r := rowsByID[inv.ID]; r != nil {
				inv.DuplicateOf, inv.ConflictOf = r.dup, r.confl
			}
			continue
		}
		k, ok := identityOf(inv)
		if !ok {
			continue
		}
		if r := rowsByID[inv.ID]; r != nil {
			rk := identityKey{r.companyID, r.supplier, r.number, r.date, r.typ}
			groups[rk] = append(groups[rk], r)
		}
		markGroup(groups[k], inv)
	}
	for _, r := range all {
		if r.dup != r.dup0 || r.confl != r.confl0 {
			if _, err := s.q.ExecContext(ctx, `UPDATE invoices SET duplicate_of = $1, conflict_of = $2 WHERE id = $3`,
				nullID(r.dup), nullID(r.confl), r.id); err != nil {
				return s.wrap("mark invoice identity", err)
			}
		}
	}
	return nil
}

// identityOf is inv's identity group; ok false when it has none.
func identityOf(inv *Invoice) (identityKey, bool) {
	supplier, number, date, ok := InvoiceIdentity(inv)
	return identityKey{inv.CompanyID, supplier, number, date, inv.MessageType}, ok
}

// markGroup marks group after inv joined it (markIdentities' step).
func markGroup(group []*identityRow, inv *Invoice) {
	if len(group) < 2 {
		return
	}
	sorted := make([]*identityRow, len(group))
	copy(sorted, group)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		if len(a.anafID) != len(b.anafID) {
			return len(a.anafID) < len(b.anafID)
		}
		if a.anafID != b.anafID {
			return a.anafID < b.anafID
		}
		return a.id < b.id
	})
	first := sorted[0]
	for i, r := range sorted {
		r.wantDup, r.wantConflict = 0, 0
		if i > 0 {
			if SameTotal(r.total, first.total) {
				r.wantDup = first.id
			} else {
				r.wantConflict = first.id
			}
		}
		if r.wantDup != 0 && r.dup == 0 {
			inv.MarkedDuplicates++
		}
		if r.wantConflict != 0 && r.confl == 0 {
			inv.MarkedConflicts++
		}
		r.dup, r.confl = r.wantDup, r.wantConflict
		if r.id == inv.ID {
			inv.DuplicateOf, inv.ConflictOf = r.wantDup, r.wantConflict
		}
	}
}
