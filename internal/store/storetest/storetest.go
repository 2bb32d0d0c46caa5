// Package storetest gives tests a fresh, migrated database: SQLite in
// t.TempDir() by default, or a uniquely named PostgreSQL database on the
// server named by EFACTURA_TEST_DATABASE_URL, dropped when the test ends.
// Test-only: production code must not import it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// EnvDatabaseURL names the PostgreSQL server tests may create databases on,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDatabaseURL = "EFACTURA_TEST_DATABASE_URL"

// EnvBackend, set to "postgres", makes New return a PostgreSQL store, so a
// whole suite written with New can be run on PostgreSQL.
const EnvBackend = "EFACTURA_TEST_STORE"

// New returns a fresh migrated store, closed in t.Cleanup: SQLite in
// t.TempDir(), or PostgreSQL (see NewPostgres) when EFACTURA_TEST_STORE=postgres.
func New(t testing.TB) *store.Store {
	t.Helper()
	if os.Getenv(EnvBackend) == "postgres" {
		return NewPostgres(t)
	}
	return migrated(t, store.SQLite)
}

// NewSQLite returns a fresh migrated SQLite store in t.TempDir().
func NewSQLite(t testing.TB) *store.Store {
	t.Helper()
	return migrated(t, store.SQLite)
}

// NewPostgres returns a fresh migrated store on a new database created on
// the EFACTURA_TEST_DATABASE_URL server and dropped (WITH (FORCE)) in
// t.Cleanup. Without that variable the test is skipped, or fails when CI is set.
func NewPostgres(t testing.TB) *store.Store {
	t.Helper()
	return migrated(t, store.Postgres)
}

func migrated(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	st, _ := Fresh(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", d, err)
	}
	return st
}

// Fresh returns an empty, unmigrated store of dialect d and its database
// URL (to open more Stores on the same database); both are cleaned up with t.
func Fresh(t testing.TB, d store.Dialect) (*store.Store, string) {
	t.Helper()
	var dbURL string
	switch d {
	case store.SQLite:
		dbURL = "sqlite:" + filepath.Join(t.TempDir(), "efactura.db")
	case store.Postgres:
		dbURL = createPostgresDB(t)
	default:
		t.Fatalf("storetest: unknown dialect %q", d)
	}
	st, err := store.Open(context.Background(), dbURL, store.PoolConfig{MaxConns: 8})
	if err != nil {
		t.Fatalf("storetest: open %s: %v", d, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, dbURL
}

// createPostgresDB creates a uniquely named database and registers its
// drop; it returns the database's URL.
func createPostgresDB(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvDatabaseURL)
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL tests need %s (a server where tests create and drop databases); it is required when CI is set", EnvDatabaseURL)
		}
		t.Skipf("PostgreSQL tests need %s, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvDatabaseURL)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvDatabaseURL, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("storetest: connect to %s: %v", EnvDatabaseURL, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	// The name is generated here (lowercase hex), never taken from input,
	// so quoting it as an identifier is safe.
	name := "efactura_test_" + hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		_ = admin.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		// Registered before the store's Close, so it runs after it (LIFO);
		// FORCE still ends any connection a test leaked.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// Each runs fn as the parallel subtests "SQLite" and "PostgreSQL", each
// with its own fresh migrated store (PostgreSQL skipped as NewPostgres says).
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		fn(t, NewSQLite(t))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		fn(t, NewPostgres(t))
	})
}
