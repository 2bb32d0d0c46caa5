package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

func TestIsStorageError(t *testing.T) {
	t.Parallel()
	wrapped := func(err error) error {
		return fmt.Errorf("storing message 1: %w", fmt.Errorf("store: insert: %w", err))
	}
	for _, err := range []error{
		wrapped(&pgconn.PgError{Code: "53100", Message: "could not extend file"}),
		wrapped(&pgconn.PgError{Code: "58030"}),
		wrapped(&os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}),
		wrapped(syscall.EDQUOT), wrapped(syscall.EIO), wrapped(syscall.EROFS),
	} {
		require.True(t, IsStorageError(err), "%v", err)
	}
	for _, err := range []error{
		nil, ErrNotFound, wrapped(ErrAlreadyExists), errors.New("disk full"), // only typed errors count
		wrapped(&pgconn.PgError{Code: "23505"}), wrapped(&pgconn.PgError{Code: "53300"}), // too many connections: not storage
		wrapped(syscall.ECONNREFUSED),
	} {
		require.False(t, IsStorageError(err), "%v", err)
	}
}

func TestSQLiteDir(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"sqlite:/var/lib/efactura/efactura.db":             "/var/lib/efactura",
		"sqlite:///var/lib/efactura/efactura.db?_pragma=x": "/var/lib/efactura",
		"sqlite:data/efactura.db":                          "data",
		"file:/srv/e.db?cache=shared":                      "/srv",
	} {
		got, ok := SQLiteDir(url)
		require.True(t, ok, url)
		require.Equal(t, want, got, url)
	}
	for _, url := range []string{"postgres://u@h/db", "sqlite::memory:", "file:x.db?mode=memory"} {
		_, ok := SQLiteDir(url)
		require.False(t, ok, url)
	}
}
