package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRender(t *testing.T) {
	t.Parallel()
	good := filepath.Join("..", "..", "testdata", "invoices", "gen-01-invoice-ALF-0001.xml")
	dir := t.TempDir()

	t.Run("PDF", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(dir, "a.pdf")
		code, stdout, stderr := newRunner(t).run("render", good, "--pdf", "-o", out) // flags after the file
		require.Equal(t, 0, code, stderr)
		require.Empty(t, stdout)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(b), "%PDF-"))
	})

	t.Run("HTML", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(dir, "a.html")
		code, _, stderr := newRunner(t).run("render", "--html", "--lang", "en", "-o", out, good)
		require.Equal(t, 0, code, stderr)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Contains(t, string(b), "ALF-0001")
		require.Contains(t, string(b), `<html lang="en">`)
	})

	t.Run("Stdout", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := newRunner(t).run("render", good, "--html", "-o", "-")
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "<!DOCTYPE html>")
	})

	for name, tc := range map[string]struct {
		args []string
		code int
	}{
		"Neither":     {[]string{"render", good, "-o", filepath.Join(dir, "x")}, 2},
		"Both":        {[]string{"render", good, "--html", "--pdf", "-o", filepath.Join(dir, "x")}, 2},
		"NoOutput":    {[]string{"render", good, "--pdf"}, 2},
		"Missing":     {[]string{"render", filepath.Join(dir, "nope.xml"), "--pdf", "-o", filepath.Join(dir, "x")}, 1},
		"NotUBL":      {[]string{"render", filepath.Join("..", "..", "testdata", "invoices", "refused-wrong-root.xml"), "--pdf", "-o", filepath.Join(dir, "x")}, 1},
		"BadOutput":   {[]string{"render", good, "--pdf", "-o", filepath.Join(dir, "no", "such", "dir.pdf")}, 1},
		"UnknownLang": {[]string{"render", good, "--pdf", "--lang", "fr", "-o", filepath.Join(dir, "x")}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := newRunner(t).run(tc.args...)
			require.Equal(t, tc.code, code, stderr)
			require.Empty(t, stdout)
			if tc.code == 1 {
				require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		_, err := os.Stat(filepath.Join(dir, "x"))
		require.True(t, os.IsNotExist(err), "nothing written on failure")
	})
}

// TestInvoiceFileLimit: parse and render refuse a file over ANAF's 10 MB
// limit with exit 1 and one stderr line naming it, without reading it: a
// regular file by its size (here sparse, and unreadable when not root), a
// device by reading one byte past the limit (/dev/zero never ends).
func TestInvoiceFileLimit(t *testing.T) {
	t.Parallel()
	big := filepath.Join(t.TempDir(), "big.xml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(10<<20+1))
	require.NoError(t, f.Close())
	require.NoError(t, os.Chmod(big, 0)) // opening it would fail (except as root)
	files := []string{big}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files = append(files, "/dev/zero")
	}
	for _, file := range files {
		for _, args := range [][]string{
			{"parse", file},
			{"parse", "--json", file},
			{"render", file, "--pdf", "-o", filepath.Join(t.TempDir(), "x.pdf")},
		} {
			code, _, stderr := newRunner(t).run(args...)
			require.Equal(t, 1, code, "%v", args)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			require.Contains(t, stderr, "10 MB limit", "%v", args)
			require.Contains(t, stderr, file)
		}
	}
	// At the limit exactly: read, then refused by the parser, not the limit.
	atLimit := filepath.Join(t.TempDir(), "limit.xml")
	require.NoError(t, os.WriteFile(atLimit, make([]byte, 10<<20), 0o600))
	code, _, stderr := newRunner(t).run("parse", atLimit)
	require.Equal(t, 1, code)
	require.NotContains(t, stderr, "10 MB limit")
}
