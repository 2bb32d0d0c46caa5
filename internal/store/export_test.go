package store

import (
	"context"
	"fmt"
	"time"
)

// MigrateUpTo applies the pending migrations up to and including version,
// so a test can put data into an older schema and then migrate it.
func (s *Store) MigrateUpTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("store: migrate %s up to %d: %w", s.dialect, version, err)
	}
	return nil
}

// MigrateDownTo rolls migrations back down to version.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("store: migrate %s down to %d: %w", s.dialect, version, err)
	}
	return nil
}

// TimeValue is a time as the dialect stores it (TEXT on SQLite), for raw SQL in tests.
func (s *Store) TimeValue(t time.Time) any { return s.tv(t) }

// InvoiceListQuery is the page query Invoices runs for f (LIMIT 50), for
// tests that EXPLAIN it.
func (s *Store) InvoiceListQuery(f InvoiceFilter) (string, []any) {
	where, args := invoiceWhere(f)
	return `SELECT ` + invoiceListColumns + ` FROM invoices WHERE ` + where + ` ORDER BY ` +
		s.invoiceOrder(f.SortBy, f.SortDesc) + ` LIMIT 50 OFFSET 0`, args
}

// InvoiceBriefColumns is the brief list's column list (invoiceBriefColumns).
const InvoiceBriefColumns = invoiceBriefColumns

// InvoiceVersion is the company's invoice version (invoice_counts), which
// keys the list caches.
func (s *Store) InvoiceVersion(ctx context.Context, companyID int64) (int64, error) {
	_, v, err := s.invoiceCounter(ctx, companyID)
	return v, err
}
