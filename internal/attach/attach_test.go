package attach

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Write(rec, File{Body: []byte("abc"), ContentType: "application/zip", Name: `invoice_3"01;x.zip`})
	require.Equal(t, 200, rec.Code)
	require.Equal(t, "attachment; filename=invoice_3_01_x.zip", rec.Header().Get("Content-Disposition"))
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", rec.Header().Get("X-Content-SHA256"))
	require.Equal(t, "private, no-store", rec.Header().Get("Cache-Control"))
	require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "3", rec.Header().Get("Content-Length"))
	require.Equal(t, "abc", rec.Body.String())
}

func TestSafeName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a_b.c-d_e_", SafeName("a b.c-d_eț"))
}
