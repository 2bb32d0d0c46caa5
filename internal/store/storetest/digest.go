package storetest

import (
	"database/sql"
	"fmt"
	"testing"
)

// TableDigests returns, for every table of db's current schema, its row
// count and an MD5 of its rows as text in sorted order: two databases
// with equal digests hold the same data, table by table (backup tests).
func TableDigests(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname`)
	if err != nil {
		t.Fatalf("storetest: listing tables: %v", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("storetest: listing tables: %v", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("storetest: listing tables: %v", err)
	}
	out := map[string]string{}
	for _, name := range tables {
		// The names come from the catalog, quoted as identifiers.
		var n int64
		var sum string
		q := fmt.Sprintf(`SELECT COUNT(*), md5(COALESCE(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM %q x`, name)
		if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("storetest: digest of %s: %v", name, err)
		}
		out[name] = fmt.Sprintf("rows=%d md5=%s", n, sum)
	}
	return out
}
