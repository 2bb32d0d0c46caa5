package httpserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFormBodies: 413 over the limit (declared or chunked), 415 for a
// non-form body on POST, forms and empty bodies pass.
func TestFormBodies(t *testing.T) {
	t.Parallel()
	h := FormBodies(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusRequestEntityTooLarge)
			return
		}
		_, _ = io.WriteString(w, "ok "+r.PostFormValue("a"))
	}))
	for _, tc := range []struct {
		name, method, ctype, body string
		chunked                   bool
		want                      int
	}{
		{"Form", "POST", "application/x-www-form-urlencoded", "a=1", false, 200},
		{"FormCharset", "POST", "application/x-www-form-urlencoded; charset=utf-8", "a=1", false, 200},
		{"Empty", "POST", "", "", false, 200},
		{"TooLarge", "POST", "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", 20), false, 413},
		{"TooLargeChunked", "POST", "application/x-www-form-urlencoded", "a=" + strings.Repeat("x", 20), true, 413},
		{"JSON", "POST", "application/json", `{"a":1}`, false, 415},
		{"NoType", "POST", "", "a=1", false, 415},
		{"GetIgnoresType", "GET", "application/json", "", false, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			if tc.chunked {
				req.ContentLength = -1
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tc.want, rec.Code, rec.Body.String())
		})
	}
}
