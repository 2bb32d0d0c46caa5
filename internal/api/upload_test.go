package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// sellerDoc returns a CIUS-RO-valid invoice issued by the company with
// that CIF, renumbered to number (so it is no invoice the archive holds).
func sellerDoc(t *testing.T, cif, number string) []byte {
	t.Helper()
	for _, file := range invoicegen.Generate(genCount, genSeed) {
		doc, err := invoice.Parse(file.Data)
		require.NoError(t, err)
		if invoice.PartyCIF(doc.Seller) != cif || doc.DocumentType != "Invoice" {
			continue
		}
		// The first cbc:ID of the document is BT-1.
		out := bytes.Replace(file.Data, []byte("<cbc:ID>"+doc.Number+"</cbc:ID>"), []byte("<cbc:ID>"+number+"</cbc:ID>"), 1)
		r, err := validate.Validate(out, validate.ProfileRO)
		require.NoError(t, err)
		if r.Valid {
			return out
		}
	}
	t.Fatalf("no valid generated invoice issued by %s", cif)
	return nil
}

// post serves POST target with body and the headers (name, value pairs).
func (f *fixture) post(target string, body []byte, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// uploadAnswer decodes {"data": upload}.
func uploadAnswer(t *testing.T, rec *httptest.ResponseRecorder) client.Upload {
	t.Helper()
	var out struct {
		Data client.Upload `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	return out.Data
}

// TestUploadAPI drives POST /api/v1/invoices and the upload routes on
// SQLite: every answer is checked against the OpenAPI document.
func TestUploadAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	// The use case queues the send job in the upload's transaction; the
	// API door's tests need no job runner behind it (the end-to-end test
	// of internal/gateway sends for real).
	f.h = New(Deps{Gateway: &gateway.Service{Store: f.st, UploadQueuer: func(context.Context, *store.Store, int64) error { return nil }},
		BaseURL: testBaseURL})
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	writeA := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
	writeB := f.newKeyScope(t, f.compB.ID, store.ScopeWrite)
	xmlCT := []string{"Content-Type", "application/xml"}
	hdr := func(key string, more ...string) []string {
		return append([]string{"X-API-KEY", key}, append(xmlCT, more...)...)
	}
	check := func(t *testing.T, method, pattern string, rec *httptest.ResponseRecorder) {
		t.Helper()
		checkAgainstDoc(t, d, sc, method, pattern, rec)
	}

	valid := sellerDoc(t, cifA, "UPL-0001")
	var first client.Upload

	t.Run("Accepted", func(t *testing.T) {
		rec := f.post("/api/v1/invoices", valid, hdr(writeA)...)
		require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
		check(t, "POST", "/api/v1/invoices", rec)
		first = uploadAnswer(t, rec)
		require.Positive(t, first.ID)
		require.Equal(t, "/api/v1/uploads/"+strconv.FormatInt(first.ID, 10), rec.Header().Get("Location"))
		require.Equal(t, cifA, first.CompanyCIF)
		require.Contains(t, []string{client.UploadSending, client.UploadPending, client.UploadUnknown, client.UploadOK}, first.State)
		require.Equal(t, "UPL-0001", *first.InvoiceNumber)
		require.NotNil(t, first.Deadline)
		require.NotNil(t, first.Errors, "errors is [] rather than null")

		got := f.get(t, "/api/v1/uploads/"+strconv.FormatInt(first.ID, 10), "X-API-KEY", f.keyA)
		require.Equal(t, http.StatusOK, got.Code, got.Body.String())
		check(t, "GET", "/api/v1/uploads/{id}", got)
		require.Equal(t, first.ID, uploadAnswer(t, got).ID)

		list := f.get(t, "/api/v1/uploads?per_page=10", "X-API-KEY", f.keyA)
		require.Equal(t, http.StatusOK, list.Code, list.Body.String())
		check(t, "GET", "/api/v1/uploads", list)
		var l client.UploadList
		require.NoError(t, json.Unmarshal(list.Body.Bytes(), &l))
		require.NotEmpty(t, l.Data)
		require.Equal(t, first.ID, l.Data[0].ID)
		require.Equal(t, cifA, l.Meta.CompanyCIF)
		require.Equal(t, 10, l.Pagination.PerPage)

		filtered := f.get(t, "/api/v1/uploads?state=nok&date_from=2020-01-01&date_to=2099-12-31", "X-API-KEY", f.keyA)
		require.Equal(t, http.StatusOK, filtered.Code, filtered.Body.String())
		check(t, "GET", "/api/v1/uploads", filtered)

		// Another company's key sees nothing of it.
		other := f.get(t, "/api/v1/uploads/"+strconv.FormatInt(first.ID, 10), "X-API-KEY", f.keyB)
		check(t, "GET", "/api/v1/uploads/{id}", other)
		requireError(t, other, http.StatusNotFound, "UPLOAD_NOT_FOUND")
		var lb client.UploadList
		lrec := f.get(t, "/api/v1/uploads", "X-API-KEY", f.keyB)
		require.Equal(t, http.StatusOK, lrec.Code)
		require.NoError(t, json.Unmarshal(lrec.Body.Bytes(), &lb))
		for _, u := range lb.Data {
			require.NotEqual(t, first.ID, u.ID)
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		require.NotZero(t, first.ID)
		rec := f.post("/api/v1/invoices", valid, hdr(writeA)...)
		require.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
		check(t, "POST", "/api/v1/invoices", rec)
		var body struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			UploadID int64  `json:"upload_id"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, "DUPLICATE_INVOICE", body.Code)
		require.Equal(t, first.ID, body.UploadID)
		require.Contains(t, body.Message, strconv.FormatInt(first.ID, 10))
	})

	t.Run("IdempotencyKeyReplay", func(t *testing.T) {
		doc := sellerDoc(t, cifA, "UPL-0002")
		h := hdr(writeA, "Idempotency-Key", "retry-7f3a")
		one := f.post("/api/v1/invoices", doc, h...)
		require.Equal(t, http.StatusAccepted, one.Code, one.Body.String())
		two := f.post("/api/v1/invoices", doc, h...)
		require.Equal(t, http.StatusAccepted, two.Code, "a replay gets the first answer, not a 409: %s", two.Body.String())
		check(t, "POST", "/api/v1/invoices", two)
		require.Equal(t, uploadAnswer(t, one).ID, uploadAnswer(t, two).ID)
		require.Equal(t, one.Header().Get("Location"), two.Header().Get("Location"))

		// The same key with another document is refused.
		reused := f.post("/api/v1/invoices", sellerDoc(t, cifA, "UPL-0003"), h...)
		check(t, "POST", "/api/v1/invoices", reused)
		requireError(t, reused, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")

		// The key is scoped to the API key: another key's same header is its own.
		writeA2 := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
		other := f.post("/api/v1/invoices", sellerDoc(t, cifA, "UPL-0004"), hdr(writeA2, "Idempotency-Key", "retry-7f3a")...)
		require.Equal(t, http.StatusAccepted, other.Code, other.Body.String())
	})

	t.Run("ValidationFailed", func(t *testing.T) {
		bad := bytes.Replace(sellerDoc(t, cifA, "UPL-0005"), []byte("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"),
			[]byte("<cbc:InvoiceTypeCode>999</cbc:InvoiceTypeCode>"), 1)
		want, err := validate.Validate(bad, validate.ProfileRO)
		require.NoError(t, err)
		require.False(t, want.Valid)
		rec := f.post("/api/v1/invoices", bad, hdr(writeA)...)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		check(t, "POST", "/api/v1/invoices", rec)
		var body struct {
			Code   string          `json:"code"`
			Report validate.Report `json:"report"`
			Data   client.Upload   `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, "VALIDATION_FAILED", body.Code)
		require.False(t, body.Report.Valid)
		ids := func(errs []validate.Error) []string {
			var out []string
			for _, e := range errs {
				out = append(out, e.ID)
			}
			return out
		}
		require.Equal(t, ids(want.Errors), ids(body.Report.Errors), "the same rule ids as efactura validate")
		require.Equal(t, client.UploadInvalid, body.Data.State)
		require.Nil(t, body.Data.IDIncarcare, "never sent")

		// The client returns it as a ValidationFailedError.
		_, err = f.client(writeA).UploadInvoice(t.Context(), bad, nil)
		var vf *client.ValidationFailedError
		require.ErrorAs(t, err, &vf)
		require.True(t, client.IsCode(err, "VALIDATION_FAILED"))
		require.NotEmpty(t, vf.Upload.Errors)
	})

	t.Run("Refusals", func(t *testing.T) {
		cases := []struct {
			name, target string
			body         []byte
			headers      []string
			status       int
			code         string
		}{
			{"WrongCIF", "/api/v1/invoices", sellerDoc(t, cifB, "UPL-0006"), hdr(writeA), 422, "WRONG_CIF"},
			{"CII", "/api/v1/invoices", []byte(`<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>`), hdr(writeA), 415, "UNSUPPORTED_STANDARD"},
			{"ReadKey", "/api/v1/invoices", valid, hdr(f.keyA), 403, "INSUFFICIENT_SCOPE"},
			{"NoKey", "/api/v1/invoices", valid, xmlCT, 401, "MISSING_API_KEY"},
			{"NotXML", "/api/v1/invoices", []byte("{}"), []string{"X-API-KEY", writeA, "Content-Type", "application/json"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
			{"BadFlag", "/api/v1/invoices?b2c=maybe", valid, hdr(writeA), 400, "INVALID_PARAMETER"},
			{"BadIdempotencyKey", "/api/v1/invoices", valid, hdr(writeA, "Idempotency-Key", "has space"), 400, "INVALID_PARAMETER"},
			{"TooLarge", "/api/v1/invoices", bytes.Repeat([]byte(" "), 10<<20+1), hdr(writeA), 413, "PAYLOAD_TOO_LARGE"},
			{"OtherCompanyKey", "/api/v1/invoices", valid, hdr(writeB), 422, "WRONG_CIF"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rec := f.post(tc.target, tc.body, tc.headers...)
				check(t, "POST", "/api/v1/invoices", rec)
				if tc.status == http.StatusRequestEntityTooLarge {
					require.Contains(t, rec.Body.String(), "Marime fisier transmis mai mare de 10 MB.")
				}
				requireError(t, rec, tc.status, tc.code)
			})
		}
		// A company ANAF has not confirmed yet sends nothing.
		unverified, err := f.st.CreateCompany(t.Context(), "27182818", "EPSILON SRL")
		require.NoError(t, err)
		rec := f.post("/api/v1/invoices", sellerDoc(t, "27182818", "UPL-0009"), hdr(f.newKeyScope(t, unverified.ID, store.ScopeWrite))...)
		check(t, "POST", "/api/v1/invoices", rec)
		requireError(t, rec, http.StatusUnprocessableEntity, "COMPANY_UNVERIFIED")

		for _, q := range []string{"state=done", "date_from=2026-02-30", "page=0", "per_page=x"} {
			rec := f.get(t, "/api/v1/uploads?"+q, "X-API-KEY", f.keyA)
			require.Equal(t, http.StatusBadRequest, rec.Code, q)
			check(t, "GET", "/api/v1/uploads", rec)
		}
		for _, id := range []string{"0", "x", "999999"} {
			rec := f.get(t, "/api/v1/uploads/"+url.PathEscape(id), "X-API-KEY", f.keyA)
			requireError(t, rec, http.StatusNotFound, "UPLOAD_NOT_FOUND")
		}
	})

	t.Run("Client", func(t *testing.T) {
		c := f.client(writeA)
		doc := sellerDoc(t, cifA, "UPL-0007")
		up, err := c.UploadInvoice(t.Context(), doc, &client.UploadOptions{IdempotencyKey: "client-1"})
		require.NoError(t, err)
		again, err := c.UploadInvoice(t.Context(), doc, &client.UploadOptions{IdempotencyKey: "client-1"})
		require.NoError(t, err)
		require.Equal(t, up.ID, again.ID)
		_, err = c.UploadInvoice(t.Context(), doc, nil)
		var dup *client.DuplicateInvoiceError
		require.ErrorAs(t, err, &dup)
		require.Equal(t, up.ID, dup.UploadID)
		var ce *client.Error
		require.True(t, errors.As(err, &ce))
		require.Equal(t, http.StatusConflict, ce.StatusCode)

		got, err := c.Upload(t.Context(), up.ID)
		require.NoError(t, err)
		require.Equal(t, up.ID, got.ID)
		list, err := c.Uploads(t.Context(), &client.UploadListOptions{PerPage: 2})
		require.NoError(t, err)
		require.Len(t, list.Data, 2)
		require.Equal(t, up.ID, list.Data[0].ID)
		require.True(t, list.Pagination.HasNext)
		_, err = c.Upload(t.Context(), 999999)
		require.True(t, client.IsCode(err, "UPLOAD_NOT_FOUND"))
		require.False(t, strings.Contains(err.Error(), "sql"))
	})
}

// FuzzUploadParams fuzzes the upload routes' query and header parsing:
// it never panics, a refusal always has a message, and an accepted
// Idempotency-Key is printable ASCII of at most 255 bytes.
func FuzzUploadParams(f *testing.F) {
	for _, s := range []string{"b2c=true", "extern=1&executare=DA", "autofactura=nu", "b2c=maybe", "b2c=1&b2c=0",
		"state=ok&date_from=2026-01-01&page=2&per_page=100", "state=%00", "page=99999999999999999999", "per_page=-1"} {
		f.Add(s, "key-1")
	}
	f.Add("", "with space")
	f.Add("", strings.Repeat("k", 256))
	f.Add("date_to=2026-02-30", "ü")
	f.Fuzz(func(t *testing.T, query, key string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		p, bad := parseUploadParams(q, key)
		if bad == "" && p.IdempotencyKey != "" {
			if len(p.IdempotencyKey) > maxIdempotencyKey || strings.ContainsFunc(p.IdempotencyKey, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				t.Fatalf("accepted key %q", p.IdempotencyKey)
			}
		}
		uf, code, msg := parseUploadFilter(q)
		if (code == "") != (msg == "") {
			t.Fatalf("code %q message %q", code, msg)
		}
		if code == "" && (uf.Page < 1 || uf.PerPage < 1 || uf.PerPage > 100) {
			t.Fatalf("filter %+v", uf)
		}
	})
}
