package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Set-based writes (issue 16): the sync stores a batch of up to 100
// messages per transaction, and each message's rows (the invoice, its
// blobs, its chain entry, its event) were one statement each: on
// PostgreSQL some 500 round trips per batch. A multiRow statement writes
// many rows at once. Its text depends on the number of rows, so a batch is
// cut into chunks of rowChunks' sizes, largest first: four texts per
// statement, each prepared once on SQLite (store.prepared) and cached once
// per connection by pgx, however the batches are sized.
var rowChunks = [...]int{64, 16, 4, 1}

// multiRow is a statement repeating a tuple of cols parameters per row:
// head, the tuples separated by sep, then tail.
type multiRow struct {
	cols  int
	texts [len(rowChunks)]string
}

// newMultiRow builds the texts of a multiRow statement; tuple writes one
// row's tuple from its parameters' placeholders ("$7").
func newMultiRow(cols int, head, sep, tail string, tuple func(p []string) string) *multiRow {
	m := &multiRow{cols: cols}
	p := make([]string, cols)
	for k, n := range rowChunks {
		var b strings.Builder
		b.WriteString(head)
		for r := range n {
			if r > 0 {
				b.WriteString(sep)
			}
			for c := range cols {
				p[c] = "$" + strconv.Itoa(r*cols+c+1)
			}
			b.WriteString(tuple(p))
		}
		b.WriteString(tail)
		m.texts[k] = b.String()
	}
	return m
}

// valuesTuple is a VALUES row: "($1, $2, $3)".
func valuesTuple(p []string) string { return "(" + strings.Join(p, ", ") + ")" }

// prepare prepares the statement's texts (SQLite; outside a transaction:
// see prepared).
func (m *multiRow) prepare(ctx context.Context, s *Store) {
	for _, q := range m.texts {
		s.prepared(ctx, q)
	}
}

// chunks calls fn for each chunk of n rows: its statement text and its
// rows [from, to).
func (m *multiRow) chunks(n int, fn func(query string, from, to int) error) error {
	for from := 0; from < n; {
		k := 0
		for rowChunks[k] > n-from {
			k++
		}
		to := from + rowChunks[k]
		if err := fn(m.texts[k], from, to); err != nil {
			return err
		}
		from = to
	}
	return nil
}

// exec writes n rows, row(i, dst) appending row i's cols parameters to dst.
func (m *multiRow) exec(ctx context.Context, s *Store, n int, row func(i int, dst []any) []any) error {
	var args []any
	return m.chunks(n, func(query string, from, to int) error {
		args = args[:0]
		for i := from; i < to; i++ {
			args = row(i, args)
		}
		_, err := s.exec(ctx, query, args...)
		return err
	})
}

// query runs the statement over n rows as exec does and hands each row
// of its results to scan.
func (m *multiRow) query(ctx context.Context, s *Store, n int, row func(i int, dst []any) []any, scan func(r *sql.Rows) error) error {
	var args []any
	return m.chunks(n, func(query string, from, to int) error {
		args = args[:0]
		for i := from; i < to; i++ {
			args = row(i, args)
		}
		rows, err := s.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
