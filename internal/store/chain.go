package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"time"

	"github.com/efactura-gateway/efactura/internal/chain"
)

// The tamper-evident chain of each company's archived ZIPs (migration
// 00017, internal/chain): one entry appended in the transaction that
// archives a ZIP, serialized per company on its archive_chain_heads row.

// lockChainSQL takes the company's head row (created at seq 0 on the
// first append) and returns it: on PostgreSQL the upsert locks the row
// until the transaction ends, so concurrent appenders of one company wait
// for each other and never fork the chain; SQLite has one writer.
const lockChainSQL = `
	INSERT INTO archive_chain_heads (company_id, seq, entry_hash) VALUES ($1, 0, $2)
	ON CONFLICT (company_id) DO UPDATE SET seq = archive_chain_heads.seq
	RETURNING seq, entry_hash`

const setChainHeadSQL = `UPDATE archive_chain_heads SET seq = $2, entry_hash = $3 WHERE company_id = $1`

// chainHead locks and returns the head of the company's chain (nil: empty).
func (s *Store) chainHead(ctx context.Context, companyID int64) (*chain.Entry, error) {
	var head chain.Entry
	if err := s.queryRow(ctx, lockChainSQL, companyID, chain.Genesis).Scan(&head.Seq, &head.EntryHash); err != nil {
		return nil, s.wrap("lock archive chain", err)
	}
	if head.Seq == 0 {
		return nil, nil //nolint:nilnil // an empty chain
	}
	return &head, nil
}

// appendChain appends entries for the invoices to their company's chain,
// in order, at time at, inside the transaction of s (WithTx): it locks
// the head, writes the entries together and moves the head.
func (s *Store) appendChain(ctx context.Context, companyID int64, invs []*Invoice, at time.Time) (*chain.Entry, error) {
	head, err := s.chainHead(ctx, companyID)
	if err != nil {
		return nil, err
	}
	entries := make([]chain.Entry, len(invs))
	for i, inv := range invs {
		entries[i] = chain.Next(head, companyID, inv.ID, inv.ANAFID, inv.ZIPSHA256, at)
		head = &entries[i]
	}
	if err := s.writeChain(ctx, entries); err != nil {
		return nil, err
	}
	return head, s.moveChainHead(ctx, companyID, head)
}

// writeChain inserts chain entries, a few statements for many (multiRow).
func (s *Store) writeChain(ctx context.Context, entries []chain.Entry) error {
	err := insertChainRows.exec(ctx, s, len(entries), func(i int, dst []any) []any {
		e := &entries[i]
		return append(dst, e.CompanyID, e.Seq, e.InvoiceID, e.ANAFID, e.ZIPSHA256, e.PrevHash, e.EntryHash, s.tv(e.CreatedAt))
	})
	return s.wrap("append archive chain", err)
}

// moveChainHead sets the company's locked head to head (nil: nothing appended).
func (s *Store) moveChainHead(ctx context.Context, companyID int64, head *chain.Entry) error {
	if head == nil {
		return nil
	}
	_, err := s.exec(ctx, setChainHeadSQL, companyID, head.Seq, head.EntryHash)
	return s.wrap("move archive chain head", err)
}

// BackfillChain chains the invoices archived before the chain existed
// (migration 00017), per company in archiving order (invoice id), in
// transactions of at most 500, each entry timed now: the chain attests
// those ZIPs from the backfill on, not from their archiving. It runs only
// while archive_chain is empty (Migrate calls it after every migration);
// it returns how many entries it appended.
func (s *Store) BackfillChain(ctx context.Context) (int, error) {
	var any int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM archive_chain LIMIT 1) x`).Scan(&any); err != nil {
		return 0, s.wrap("backfill archive chain", err)
	}
	if any > 0 {
		return 0, nil
	}
	companies, err := s.int64s(ctx, `SELECT DISTINCT company_id FROM invoices ORDER BY company_id`)
	if err != nil {
		return 0, s.wrap("backfill archive chain", err)
	}
	at := now()
	total := 0
	for _, cid := range companies {
		for {
			n := 0
			err := s.WithTx(ctx, func(tx *Store) error {
				if _, err := tx.chainHead(ctx, cid); err != nil { // the lock first, then what is unchained
					return err
				}
				invs, err := tx.unchained(ctx, cid, 0, 500)
				if err != nil {
					return err
				}
				n = len(invs)
				head, err := tx.appendChain(ctx, cid, invs, at)
				if err != nil || head == nil {
					return err
				}
				_, err = tx.q.ExecContext(ctx, `UPDATE archive_chain_heads SET backfill_seq = $2, backfill_at = $3 WHERE company_id = $1`, cid, head.Seq, tx.tv(at))
				return tx.wrap("backfill archive chain", err)
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < 500 {
				break
			}
		}
	}
	return total, nil
}

// unchained returns up to n invoices of the company above id after that
// have no chain entry, in id order (ID, ANAFID and ZIPSHA256 only).
func (s *Store) unchained(ctx context.Context, companyID, after int64, n int) ([]*Invoice, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT i.id, i.anaf_id, i.zip_sha256 FROM invoices i
		WHERE i.company_id = $1 AND i.id > $2 AND NOT EXISTS (SELECT 1 FROM archive_chain c WHERE c.invoice_id = i.id)
		ORDER BY i.id LIMIT $3`, companyID, after, n)
	if err != nil {
		return nil, s.wrap("unchained invoices", err)
	}
	defer rows.Close()
	var out []*Invoice
	for rows.Next() {
		inv := &Invoice{CompanyID: companyID}
		if err := rows.Scan(&inv.ID, &inv.ANAFID, &inv.ZIPSHA256); err != nil {
			return nil, s.wrap("unchained invoices", err)
		}
		out = append(out, inv)
	}
	return out, s.wrap("unchained invoices", rows.Err())
}

// UnchainedInvoices returns up to n invoices of the company above id
// after without a chain entry (verify-archive names them).
func (s *Store) UnchainedInvoices(ctx context.Context, companyID, after int64, n int) ([]*Invoice, error) {
	return s.unchained(ctx, companyID, after, n)
}

func (s *Store) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ChainCompanies returns the ids of every company with a chain or an
// archived invoice, in order.
func (s *Store) ChainCompanies(ctx context.Context) ([]int64, error) {
	ids, err := s.int64s(ctx, `SELECT company_id FROM archive_chain_heads UNION SELECT company_id FROM invoices ORDER BY 1`)
	return ids, s.wrap("chain companies", err)
}

// ChainEntries returns up to n entries of the company's chain above seq
// after, in seq order.
func (s *Store) ChainEntries(ctx context.Context, companyID, after int64, n int) ([]chain.Entry, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT company_id, seq, invoice_id, anaf_id, zip_sha256, prev_hash, entry_hash, created_at
		FROM archive_chain WHERE company_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, companyID, after, n)
	if err != nil {
		return nil, s.wrap("chain entries", err)
	}
	defer rows.Close()
	var out []chain.Entry
	for rows.Next() {
		var e chain.Entry
		if err := rows.Scan(&e.CompanyID, &e.Seq, &e.InvoiceID, &e.ANAFID, &e.ZIPSHA256, &e.PrevHash, &e.EntryHash, timeCol{&e.CreatedAt}); err != nil {
			return nil, s.wrap("chain entries", err)
		}
		out = append(out, e)
	}
	return out, s.wrap("chain entries", rows.Err())
}

// ChainEntryOf returns the chain entry of an invoice. ErrNotFound.
func (s *Store) ChainEntryOf(ctx context.Context, invoiceID int64) (*chain.Entry, error) {
	var e chain.Entry
	err := s.q.QueryRowContext(ctx, `SELECT company_id, seq, invoice_id, anaf_id, zip_sha256, prev_hash, entry_hash, created_at
		FROM archive_chain WHERE invoice_id = $1`, invoiceID).
		Scan(&e.CompanyID, &e.Seq, &e.InvoiceID, &e.ANAFID, &e.ZIPSHA256, &e.PrevHash, &e.EntryHash, timeCol{&e.CreatedAt})
	if err != nil {
		return nil, s.wrap("chain entry", err)
	}
	return &e, nil
}

// ChainState is the state of one company's chain for its page.
type ChainState struct {
	CompanyID int64
	Seq       int64 // the head's seq: the chain's length; 0 when empty
	EntryHash string
	// FirstAt is when the first entry was chained; BackfillSeq the last
	// entry chained after the fact (at BackfillAt) for ZIPs archived
	// before the chain existed (0: none).
	FirstAt     *time.Time
	BackfillSeq int64
	BackfillAt  *time.Time
}

// ChainStateOf returns the company's chain state (Seq 0 when it has none).
func (s *Store) ChainStateOf(ctx context.Context, companyID int64) (*ChainState, error) {
	cs := &ChainState{CompanyID: companyID}
	err := s.q.QueryRowContext(ctx, `SELECT seq, entry_hash, backfill_seq, backfill_at FROM archive_chain_heads WHERE company_id = $1`, companyID).
		Scan(&cs.Seq, &cs.EntryHash, &cs.BackfillSeq, nullTimeCol{&cs.BackfillAt})
	if errors.Is(err, sql.ErrNoRows) {
		return cs, nil
	}
	if err != nil {
		return nil, s.wrap("chain state", err)
	}
	var first time.Time
	err = s.q.QueryRowContext(ctx, `SELECT created_at FROM archive_chain WHERE company_id = $1 ORDER BY seq LIMIT 1`, companyID).Scan(timeCol{&first})
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, s.wrap("chain state", err)
	default:
		cs.FirstAt = &first
	}
	return cs, nil
}

// ChainedInvoice is what verify-archive compares a chain entry with: the
// invoice row (nil when deleted) and the SHA-256 of its stored ZIP (nil
// when the ZIP is gone).
type ChainedInvoice struct {
	CompanyID  int64
	ANAFID     string
	Recorded   []byte // invoices.zip_sha256
	ZIPSHA256  []byte // of invoice_blobs.zip now; nil: no ZIP stored
	HasZIPBlob bool
}

// ChainedInvoiceOf reads invoice id for verify-archive (one ZIP in
// memory at a time). ErrNotFound when the row is gone.
func (s *Store) ChainedInvoiceOf(ctx context.Context, id int64) (*ChainedInvoice, error) {
	var (
		ci  ChainedInvoice
		zip []byte
	)
	err := s.q.QueryRowContext(ctx, `SELECT i.company_id, i.anaf_id, i.zip_sha256, b.invoice_id IS NOT NULL, b.zip
		FROM invoices i LEFT JOIN invoice_blobs b ON b.invoice_id = i.id WHERE i.id = $1`, id).
		Scan(&ci.CompanyID, &ci.ANAFID, &ci.Recorded, &ci.HasZIPBlob, &zip)
	if err != nil {
		return nil, s.wrap("chained invoice", err)
	}
	if ci.HasZIPBlob {
		sum := sha256.Sum256(zip)
		ci.ZIPSHA256 = sum[:]
	}
	return &ci, nil
}

// ChainDigest is a chain's head on a day (table archive_chain_digests).
type ChainDigest struct {
	chain.Head
	TakenAt time.Time
}

// TakeChainDigests records every chain's head as the digest of day (UTC,
// yyyy-mm-dd), replacing that day's earlier digest (the job runs hourly:
// a day keeps its last head). It returns how many chains it recorded.
func (s *Store) TakeChainDigests(ctx context.Context, day string, at time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `INSERT INTO archive_chain_digests (company_id, day, seq, entry_hash, taken_at)
		SELECT company_id, $1, seq, entry_hash, $2 FROM archive_chain_heads WHERE seq > 0
		ON CONFLICT (company_id, day) DO UPDATE SET seq = excluded.seq, entry_hash = excluded.entry_hash, taken_at = excluded.taken_at`,
		day, s.tv(at))
	if err != nil {
		return 0, s.wrap("take chain digests", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ChainDigests returns the company's daily heads, newest first (companyID
// 0: every company's, by company then day).
func (s *Store) ChainDigests(ctx context.Context, companyID int64) ([]ChainDigest, error) {
	q := `SELECT d.company_id, c.cif, d.day, d.seq, d.entry_hash, d.taken_at FROM archive_chain_digests d JOIN companies c ON c.id = d.company_id`
	var args []any
	if companyID != 0 {
		q += ` WHERE d.company_id = $1 ORDER BY d.day DESC`
		args = append(args, companyID)
	} else {
		q += ` ORDER BY d.company_id, d.day`
	}
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("chain digests", err)
	}
	defer rows.Close()
	var out []ChainDigest
	for rows.Next() {
		var d ChainDigest
		if err := rows.Scan(&d.CompanyID, &d.CIF, &d.Day, &d.Seq, &d.EntryHash, timeCol{&d.TakenAt}); err != nil {
			return nil, s.wrap("chain digests", err)
		}
		out = append(out, d)
	}
	return out, s.wrap("chain digests", rows.Err())
}
