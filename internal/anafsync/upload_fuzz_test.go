package anafsync_test

import (
	"testing"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
)

// FuzzANAFErrorList: reading ANAF's error ZIP of a refused upload never
// panics and always yields at least one error (an unreadable file is one).
func FuzzANAFErrorList(f *testing.F) {
	doc := []byte(`<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="1" Cif_emitent="2">` +
		`<Error errorMessage="E: [BR-RO-110]-a"/><Error errorMessage="b"/></header>`)
	z, err := invoice.BuildArchive("1", doc, []byte("<Signature/>"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(z)
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, zipBytes []byte) {
		if errs := anafsync.ANAFErrorList(zipBytes); len(errs) == 0 {
			if _, err := invoice.ReadArchive(zipBytes); err != nil {
				t.Fatalf("no error reported for an unreadable ZIP")
			}
		}
	})
}
