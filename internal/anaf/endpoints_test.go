package anaf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDownload(t *testing.T) {
	t.Parallel()
	zipBytes := sample(t, "oca-3828-download-error.zip")
	for _, ct := range []string{"application/zip", "application/octet-stream", ""} {
		t.Run("ContentType"+strings.ReplaceAll(ct, "/", "_"), func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "/test/FCTEL/rest/descarcare", r.URL.Path)
				require.Equal(t, "3012345671", r.URL.Query().Get("id"))
				require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
				canned{ctype: ct, body: zipBytes}.write(w)
			}))
			got, err := c.Download(t.Context(), "tok", "3012345671")
			require.NoError(t, err)
			require.Equal(t, zipBytes, got, "ZIP returned byte for byte")
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file  string
		state string
		id    string
	}{
		{"stare_ok.xml", StateOK, "3012345671"},
		{"stare_nok.xml", StateNOK, "3012345672"},
		{"stare_in_prelucrare.xml", StateProcessing, ""},
		{"stare_xml_cu_erori.xml", StateXMLErrors, ""},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "/test/FCTEL/rest/stareMesaj", r.URL.Path)
				require.Equal(t, "5012345678", r.URL.Query().Get("id_incarcare"))
				canned{ctype: ctXML, body: sample(t, tt.file)}.write(w)
			}))
			st, err := c.Status(t.Context(), "tok", "5012345678")
			require.NoError(t, err)
			require.Equal(t, &UploadStatus{State: tt.state, DownloadID: tt.id}, st)
		})
	}
	t.Run("CapitalisedAndCRLF", func(t *testing.T) {
		t.Parallel()
		body := "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<header xmlns=\"mfp:anaf:dgti:efactura:stareMesajFactura:v1\" stare=\"In prelucrare\"/>\r\n"
		c := cannedClient(t, canned{ctype: "text/xml", body: []byte(body)})
		st, err := c.Status(t.Context(), "tok", "1")
		require.NoError(t, err)
		require.Equal(t, StateProcessing, st.State)
	})
}

func TestUpload(t *testing.T) {
	t.Parallel()
	invoice := sample(t, "invoice_minimal_ubl_SYNTHETIC.xml")
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/test/FCTEL/rest/upload", r.URL.Path)
		q := r.URL.Query()
		require.Equal(t, "UBL", q.Get("standard"))
		require.Equal(t, "12345674", q.Get("cif"))
		require.False(t, q.Has("extern"))
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		require.Equal(t, invoice, body, "raw XML body, not multipart")
		canned{ctype: ctXML, body: sample(t, "upload_ok.xml")}.write(w)
	}))
	idx, err := c.Upload(t.Context(), "tok", StandardUBL, "12345674", invoice)
	require.NoError(t, err)
	require.Equal(t, "5012345678", idx)
	require.Equal(t, int32(1), calls.Load())
}

func TestUploadWithOptions(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/test/FCTEL/rest/uploadb2c", r.URL.Path)
		q := r.URL.Query()
		require.Equal(t, "DA", q.Get("extern"))
		require.Equal(t, "DA", q.Get("autofactura"))
		require.Equal(t, "DA", q.Get("executare"))
		canned{ctype: ctXML, body: sample(t, "upload_ok.xml")}.write(w)
	}))
	res, err := c.UploadWithOptions(t.Context(), "tok", UploadOptions{Standard: StandardUBL, CIF: "1", Extern: true, AutoFactura: true, Executare: true, B2C: true}, []byte("<x/>"))
	require.NoError(t, err)
	require.Equal(t, "5012345678", res.Index)
	require.Equal(t, time.Date(2026, 1, 15, 8, 32, 0, 0, time.UTC), res.DateResponse)
}

func TestUploadNeverRetriesInternally(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		canned{ctype: ctXML, body: sample(t, "upload_err_technical.xml")}.write(w)
	}), func(cfg *Config) { cfg.Retry = &RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond} })
	_, err := c.Upload(t.Context(), "tok", StandardUBL, "1", []byte("<x/>"))
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Equal(t, int32(1), calls.Load())
}

func TestClientRetryOption(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		canned{ctype: ctXML, body: sample(t, "stare_ok.xml")}.write(w)
	}), func(cfg *Config) { cfg.Retry = &RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond} })
	st, err := c.Status(t.Context(), "tok", "1")
	require.NoError(t, err)
	require.Equal(t, StateOK, st.State)
	require.Equal(t, int32(3), calls.Load())
}

func TestHello(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/TestOauth/jaxrs/hello", r.URL.Path)
		require.Equal(t, "efactura", r.URL.Query().Get("name"))
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		canned{ctype: ctText, body: sample(t, "testoauth_hello_response.txt")}.write(w)
	}))
	got, err := c.Hello(t.Context(), "tok")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(got, `Hello, "Test Hello App!"`))
}

func TestBodySizeLimits(t *testing.T) {
	t.Parallel()
	t.Run("JSONOverLimit", func(t *testing.T) {
		t.Parallel()
		body := sample(t, "paginatie_ok_last_page.json")
		c := cannedClient(t, canned{ctype: ctJSON, body: body}, func(cfg *Config) { cfg.MaxBodyBytes = int64(len(body)) - 1 })
		_, _, err := c.ListMessagesPage(t.Context(), "tok", "1", testNow.Add(-time.Hour), testNow, 1)
		require.ErrorIs(t, err, ErrMalformed)
		require.Contains(t, err.Error(), "larger than")
		require.False(t, IsTransient(err))
	})
	t.Run("JSONAtLimit", func(t *testing.T) {
		t.Parallel()
		body := sample(t, "paginatie_ok_last_page.json")
		c := cannedClient(t, canned{ctype: ctJSON, body: body}, func(cfg *Config) { cfg.MaxBodyBytes = int64(len(body)) })
		_, _, err := c.ListMessagesPage(t.Context(), "tok", "1", testNow.Add(-time.Hour), testNow, 1)
		require.NoError(t, err)
	})
	t.Run("ZIPOverLimit", func(t *testing.T) {
		t.Parallel()
		body := sample(t, "oca-3828-download-error.zip")
		c := cannedClient(t, canned{ctype: "application/zip", body: body}, func(cfg *Config) {
			cfg.MaxZIPBytes = 1000
			cfg.MaxBodyBytes = 1 << 20 // the ZIP limit applies, not this one
		})
		_, err := c.Download(t.Context(), "tok", "1")
		require.ErrorIs(t, err, ErrMalformed)
		require.Contains(t, err.Error(), "larger than 1000 bytes")
	})
	t.Run("ZIPUsesItsOwnLimit", func(t *testing.T) {
		t.Parallel()
		body := sample(t, "oca-3828-download-error.zip")
		c := cannedClient(t, canned{ctype: "application/zip", body: body}, func(cfg *Config) { cfg.MaxBodyBytes = 100 })
		got, err := c.Download(t.Context(), "tok", "1")
		require.NoError(t, err)
		require.Equal(t, body, got)
	})
}

// hijack answers with raw bytes on the connection, then closes it.
func hijack(t *testing.T, raw string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
		_ = conn.Close()
	})
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	truncated := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"mesaje\": ["
	for _, tt := range []struct {
		name string
		h    http.Handler
		call callFn
		kind ErrorKind
	}{
		{"TruncatedList", hijack(t, truncated), callList, KindTransient},
		{"TruncatedZIP", hijack(t, "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 5000\r\n\r\nPK\x03\x04abc"), callDownload, KindTransient},
		{"ResetList", hijack(t, ""), callList, KindTransient},
		{"ResetStatus", hijack(t, ""), callStatus, KindTransient},
		{"TruncatedUpload", hijack(t, truncated), callUpload, KindOutcomeUnknown},
		{"ResetUpload", hijack(t, ""), callUpload, KindOutcomeUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, tt.h)
			err := tt.call(t.Context(), c)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "%v", err)
			require.True(t, IsTransient(err))
		})
	}
	t.Run("ConnectionRefusedUploadIsTransient", func(t *testing.T) {
		t.Parallel()
		c := New(Config{BaseURL: "http://127.0.0.1:1", Timeout: 2 * time.Second})
		_, err := c.Upload(t.Context(), "tok", StandardUBL, "1", []byte("<x/>"))
		require.Equal(t, KindTransient, KindOf(err), "nothing was sent: %v", err)
	})
}

// blocking answers only when the request's context ends (the body is read
// first: the server notices a client hang-up only after that).
func blocking() http.Handler {
	return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		call callFn
		kind ErrorKind
	}{
		{"List", callList, KindCanceled},
		{"Download", callDownload, KindCanceled},
		{"Upload", callUpload, KindOutcomeUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, blocking())
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(30*time.Millisecond, cancel)
			err := tt.call(ctx, c)
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, tt.kind, KindOf(err))
		})
	}
	t.Run("CanceledIsNotTransient", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, blocking())
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := callList(ctx, c)
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, IsTransient(err))
	})
	t.Run("PerCallTimeoutIsTransient", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, blocking(), func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
		start := time.Now()
		err := callList(t.Context(), c)
		require.Less(t, time.Since(start), 3*time.Second)
		require.Equal(t, KindTransient, KindOf(err), "%v", err)
		require.True(t, IsTransient(err))
		require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	})
	t.Run("PerCallTimeoutUploadIsOutcomeUnknown", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, blocking(), func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
		err := callUpload(t.Context(), c)
		require.ErrorIs(t, err, ErrOutcomeUnknown)
	})
}

func TestVisibleText(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a & b", visibleText([]byte("<html><body><p>a &amp;\n\n b</p></body></html>")))
	require.Equal(t, "<header/>", visibleText([]byte("  <header/>\n")))
	long := bytes.Repeat([]byte("x"), 3000)
	require.Len(t, []rune(visibleText(long)), maxTextLen+1)
}
