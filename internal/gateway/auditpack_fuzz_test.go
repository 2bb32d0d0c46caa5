package gateway_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// FuzzVerifyAuditPack: `efactura verify-archive --pack FILE` reads a file
// from anywhere; no ZIP, however made, panics it.
func FuzzVerifyAuditPack(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"SHA256SUMS": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  README.txt\n",
		"README.txt": "",
		"chain.csv":  "company_id,seq,invoice_id,message_id,zip_sha256,prev_hash,entry_hash,created_at\n",
		"index.csv": "invoice_id,message_id,message_type,invoice_number,issue_date,supplier_cif,issuer_name,receiver_name,total_amount,currency," +
			"archived_at,zip_file,zip_sha256,pdf_file,pdf_note,chain_seq,chain_entry_hash\n1,3,F,A,2026-01-01,1,a,b,1,RON,x,zip/3.zip,00,,,1,00\n",
		"heads.csv": "day,company_id,cif,seq,entry_hash\n",
	} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(body))
	}
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := gateway.VerifyAuditPack(bytes.NewReader(b), int64(len(b)), nil)
		if err == nil && rep == nil {
			t.Fatal("no report and no error")
		}
	})
}
