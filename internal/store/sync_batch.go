package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds the statements of the sync's hot path prepared once per
// database (issue 16: on SQLite, re-parsing the same SQL text was 13 % of
// the sync's CPU). database/sql prepares a *sql.Stmt again on each pool
// connection it meets, once. Only SQLite uses it: pgx caches prepared
// statements per connection by itself.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns the cached statement of query, preparing it on first
// use outside a transaction; nil on PostgreSQL, in a transaction before it
// was prepared (preparing needs a pool connection, and a transaction may
// hold the last one), or when preparing failed: the caller then runs the
// text. No lock is held while preparing.
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if s.dialect != SQLite || s.stmts == nil {
		return nil
	}
	c := s.stmts
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok || s.inTx {
		return st
	}
	st, err := s.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok {
		_ = st.Close() //nolint:sqlclosecheck // a duplicate prepared meanwhile: the cached one is kept
		return have
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

// closeStmts closes the cached statements (Close).
func (s *Store) closeStmts() {
	if s.stmts == nil {
		return
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for _, st := range s.stmts.m {
		_ = st.Close()
	}
	s.stmts.m = nil
}

// stmtIn is st bound to the transaction of s, if any.
func (s *Store) stmtIn(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	if tx, ok := s.q.(*sql.Tx); ok {
		return tx.StmtContext(ctx, st)
	}
	return st
}

// queryRow runs query through the statement cache (prepared).
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.prepared(ctx, query); st != nil {
		return s.stmtIn(ctx, st).QueryRowContext(ctx, args...) //nolint:sqlclosecheck // cached, or closed with its transaction
	}
	return s.q.QueryRowContext(ctx, query, args...)
}

// query runs query through the statement cache (prepared).
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, query); st != nil {
		return s.stmtIn(ctx, st).QueryContext(ctx, args...) //nolint:sqlclosecheck // cached, or closed with its transaction; the caller closes the rows
	}
	return s.q.QueryContext(ctx, query, args...)
}

// exec runs query through the statement cache (prepared).
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := s.prepared(ctx, query); st != nil {
		return s.stmtIn(ctx, st).ExecContext(ctx, args...) //nolint:sqlclosecheck // cached, or closed with its transaction
	}
	return s.q.ExecContext(ctx, query, args...)
}

// ArchiveItem is one message of a sync batch (ArchiveBatch): the invoice
// and its validation verdict (nil: validated later by the validate_archive
// job). Inserted is set by ArchiveBatch.
type ArchiveItem struct {
	Invoice    *Invoice
	Validation *InvoiceValidation
	// Claimed: the batch's owner holds the message's download claim
	// (ClaimDownload); it is released in the batch's transaction, when
	// the ZIP becomes visible in the archive.
	Claimed  bool
	Inserted bool
}

// ArchiveBatch stores the items in one transaction, in order, each as
// InsertInvoice does (idempotent on company and ANAF id, identity marks)
// with its verdict in the same row: one commit (one WAL flush) for the
// batch instead of one per message, and each kind of row written in a few
// statements for the batch (insertInvoices), the events' dispatch queued
// in one job. The download claims of owner on the Claimed items are
// released in the same transaction. On error nothing is stored, no claim
// released, and the items' Inserted flags are false.
func (s *Store) ArchiveBatch(ctx context.Context, items []ArchiveItem, owner string) (err error) {
	s.prepareArchive(ctx)
	var inserted []bool
	err = s.WithTx(ctx, func(tx *Store) (err error) {
		invs := make([]*Invoice, len(items))
		vs := make([]*InvoiceValidation, len(items))
		claimed := make([]string, 0, len(items))
		for i := range items {
			invs[i], vs[i] = items[i].Invoice, items[i].Validation
			if items[i].Claimed {
				claimed = append(claimed, items[i].Invoice.ANAFID)
			}
		}
		if inserted, err = tx.insertInvoices(ctx, invs, vs, true); err != nil {
			return err
		}
		return tx.ReleaseDownloads(ctx, claimed, owner)
	})
	for i := range items {
		items[i].Inserted = err == nil && inserted[i]
	}
	return err
}

// AnalyzeInvoices refreshes PostgreSQL's planner statistics of the
// invoices table (ANALYZE samples a bounded number of rows: tens of
// milliseconds whatever the table's size). The sync calls it after large
// batches: statistics taken when the table was small (or none, with
// autovacuum off) make the planner misjudge every query of a company. A
// no-op on SQLite, whose plans here come from the indexes alone.
func (s *Store) AnalyzeInvoices(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `ANALYZE invoices`)
	return s.wrap("analyze invoices", err)
}
