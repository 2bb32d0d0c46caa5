package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	require.NoError(t, os.WriteFile(bad, []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`), 0o600))
	notXML := filepath.Join(dir, "x.xml")
	require.NoError(t, os.WriteFile(notXML, []byte("hello"), 0o600))
	goods, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "invoices", "*.xml"))

	code, out, _ := r.run("validate", "--json", bad, notXML)
	require.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var rep struct {
		File    string `json:"file"`
		DocType string `json:"doctype"`
		Valid   bool   `json:"valid"`
		Errors  []struct {
			ID, Flag, Location, Message, BT string
			Line                            int
		} `json:"errors"`
		Warnings []any `json:"warnings"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rep))
	require.Equal(t, bad, rep.File)
	require.Equal(t, "Invoice", rep.DocType)
	require.False(t, rep.Valid)
	ids := map[string]bool{}
	for _, e := range rep.Errors {
		ids[e.ID] = true
		require.NotEmpty(t, e.Message, e.ID)
	}
	require.True(t, ids["XSD"] && ids["BR-01"], "%v", ids) // the rules run past the XSD failure
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &rep))
	require.Len(t, rep.Errors, 1)
	require.Equal(t, "XML", rep.Errors[0].ID)
	require.Equal(t, "fatal", rep.Errors[0].Flag)

	code, out, _ = r.run("validate", "--profile", "en", bad)
	require.Equal(t, 1, code)
	require.Contains(t, out, "INVALID")
	require.Contains(t, out, "BR-01")

	if len(goods) > 0 {
		code, out, errOut := r.run("validate", "--warnings", goods[0])
		t.Log(out, errOut)
		if strings.Contains(out, " valid ") {
			require.Equal(t, 0, code)
		}
	}

	big := filepath.Join(dir, "big.xml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(11<<20))
	require.NoError(t, f.Close())
	code, out, _ = r.run("validate", big)
	require.Equal(t, 1, code)
	require.Contains(t, out, "10 MB")
	code, out, _ = r.run("validate", "--json", big)
	require.Equal(t, 1, code)
	require.Contains(t, out, `"valid":false`)
	require.Contains(t, out, `"error":`)
}
