package anaf

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var minimalPDF = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

func TestValidate(t *testing.T) {
	t.Parallel()
	invoice := sample(t, "invoice_minimal_ubl_SYNTHETIC.xml")

	t.Run("OKWithToken", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, http.MethodPost, r.Method)
			require.Equal(t, "/prod/FCTEL/rest/validare/FACT1", r.URL.Path, "prod path whatever Env says")
			require.Equal(t, "text/plain", r.Header.Get("Content-Type"))
			require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
			body, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			require.Equal(t, invoice, body)
			canned{ctype: ctJSON, body: sample(t, "validare_ok.json")}.write(w)
		}))
		res, err := c.Validate(t.Context(), "tok", StandardFACT1, invoice)
		require.NoError(t, err)
		require.Equal(t, &ValidationResult{OK: true, State: "ok", Messages: []string{}, TraceID: "c8c9da20-843f-4130-91d1-4ee8b0baaa30"}, res)
	})

	t.Run("PublicWithoutToken", func(t *testing.T) {
		t.Parallel()
		var hits int
		pub := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits++
			require.Equal(t, "/prod/FCTEL/rest/validare/FCN", r.URL.Path)
			require.Empty(t, r.Header.Get("Authorization"), "the public form carries no token")
			canned{ctype: ctJSON, body: sample(t, "validare_ok.json")}.write(w)
		}))
		// BaseURL points at a dead port: an empty token must use PublicBaseURL.
		c := New(Config{BaseURL: "http://127.0.0.1:1", PublicBaseURL: pub.cfg.BaseURL + "/", Now: pub.cfg.Now})
		res, err := c.Validate(t.Context(), "", StandardFCN, invoice)
		require.NoError(t, err)
		require.True(t, res.OK)
		require.Equal(t, 1, hits)
		require.Equal(t, DefaultPublicURL, New(Config{}).cfg.PublicBaseURL)
	})

	t.Run("NokIsAResult", func(t *testing.T) {
		t.Parallel()
		c := cannedClient(t, canned{ctype: ctJSON, body: sample(t, "validare_nok.json")})
		res, err := c.Validate(t.Context(), "tok", StandardFACT1, invoice)
		require.NoError(t, err)
		require.False(t, res.OK)
		require.Equal(t, "nok", res.State)
		require.Len(t, res.Messages, 2)
		require.True(t, strings.HasPrefix(res.Messages[0], "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-Daca Codul ţării vânzătorului"), "verbatim, double spaces and diacritics kept")
		require.Equal(t, "2c9b28f2-be33-4d55-a6ac-f5f5fed01e67", res.TraceID)
	})

	for _, tt := range []struct {
		name  string
		resp  canned
		kind  ErrorKind
		text  string
		trace string
	}{
		{"BadStandard", canned{ctype: ctJSON, body: sample(t, "validare_err_standard.json")}, KindInvalidRequest,
			"Valorile acceptate pentru parametrul standard sunt FACT1 si FCN", "4506b709-92d1-4efe-b286-e652624ba2fb"},
		{"TooBig", canned{ctype: ctJSON, body: sample(t, "validare_err_too_big.json")}, KindRejected,
			"Marime fisier transmis mai mare de 5 MB.", "1ce79035-758e-4454-b811-d1c0a04aedc2"},
		{"Technical", canned{ctype: ctJSON, body: sample(t, "validare_err_technical.json")}, KindTransient,
			"A aparut o eroare tehnica. Cod: XXX", "ee2f572d-5b0c-4975-89be-6b93e1e31bc0"},
		{"NoStandard404", canned{status: 404, ctype: ctJSON, body: sample(t, "http404_validare_no_standard.json")}, KindInvalidRequest, "Not Found", ""},
		{"WAF", canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, KindTransient, "", ""},
		{"401", canned{status: 401, ctype: ctJSON, body: sample(t, "http401_invalid_token.json")}, KindUnauthorized, "Unauthorized", ""},
		{"NoStare", canned{ctype: ctJSON, body: []byte(`{"foo":"bar"}`)}, KindMalformed, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, tt.resp)
			_, err := c.Validate(t.Context(), "tok", StandardFACT1, invoice)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "%v", err)
			require.Equal(t, epValidate, e.Endpoint)
			require.False(t, e.Local)
			if tt.text != "" {
				require.Equal(t, tt.text, e.Text)
			}
			require.Equal(t, tt.trace, e.TraceID)
		})
	}
}

func TestTransform(t *testing.T) {
	t.Parallel()
	invoice := sample(t, "invoice_minimal_ubl_SYNTHETIC.xml")

	for _, tt := range []struct {
		name  string
		skip  bool
		token string
		path  string
	}{
		{"Validating", false, "tok", "/prod/FCTEL/rest/transformare/FACT1"},
		{"SkipValidation", true, "tok", "/prod/FCTEL/rest/transformare/FACT1/DA"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, tt.path, r.URL.Path)
				require.Equal(t, "text/plain", r.Header.Get("Content-Type"))
				require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
				canned{ctype: "application/pdf", body: minimalPDF}.write(w)
			}))
			pdf, err := c.Transform(t.Context(), tt.token, StandardFACT1, invoice, tt.skip)
			require.NoError(t, err)
			require.Equal(t, minimalPDF, pdf)
		})
	}

	for _, tt := range []struct {
		name  string
		resp  canned
		kind  ErrorKind
		text  string
		trans bool
	}{
		{"Nok", canned{ctype: ctJSON, body: sample(t, "validare_nok.json")}, KindRejected, "", false},
		{"BadStandard", canned{ctype: ctJSON, body: sample(t, "validare_err_standard.json")}, KindInvalidRequest, "Valorile acceptate pentru parametrul standard sunt FACT1 si FCN", false},
		{"Technical", canned{ctype: ctJSON, body: sample(t, "validare_err_technical.json")}, KindTransient, "A aparut o eroare tehnica. Cod: XXX", true},
		{"F5PageIsTransient", canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, KindTransient, "", true},
		{"OkWithoutPDF", canned{ctype: ctJSON, body: sample(t, "validare_ok.json")}, KindMalformed, "", false},
		{"NoStandard404", canned{status: 404, ctype: ctJSON, body: sample(t, "http404_validare_no_standard.json")}, KindInvalidRequest, "Not Found", false},
		{"Garbage", canned{ctype: "application/pdf", body: []byte("not a pdf")}, KindMalformed, "", false},
		{"500Empty", canned{status: 500}, KindTransient, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, tt.resp)
			_, err := c.Transform(t.Context(), "tok", StandardFACT1, invoice, false)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "%v", err)
			require.Equal(t, epTransform, e.Endpoint)
			require.Equal(t, tt.trans, IsTransient(err))
			if tt.text != "" {
				require.Equal(t, tt.text, e.Text)
			}
		})
	}

	t.Run("NokKeepsEveryMessage", func(t *testing.T) {
		t.Parallel()
		c := cannedClient(t, canned{ctype: ctJSON, body: sample(t, "validare_nok.json")})
		_, err := c.Transform(t.Context(), "tok", StandardFACT1, invoice, false)
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Contains(t, e.Text, "[BR-RO-110]")
		require.Contains(t, e.Text, "; E: AccountingSupplierParty")
		require.Equal(t, "2c9b28f2-be33-4d55-a6ac-f5f5fed01e67", e.TraceID)
		require.ErrorIs(t, err, ErrRejected)
	})

	t.Run("PublicWithoutToken", func(t *testing.T) {
		t.Parallel()
		pub := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "/prod/FCTEL/rest/transformare/FCN/DA", r.URL.Path)
			require.Empty(t, r.Header.Get("Authorization"))
			canned{ctype: "application/pdf", body: minimalPDF}.write(w)
		}))
		c := New(Config{BaseURL: "http://127.0.0.1:1", PublicBaseURL: pub.cfg.BaseURL})
		pdf, err := c.Transform(t.Context(), "", StandardFCN, invoice, true)
		require.NoError(t, err)
		require.Equal(t, minimalPDF, pdf)
	})
}

func TestValidateSignature(t *testing.T) {
	t.Parallel()
	invoice := []byte("<Invoice/>")
	sig := []byte(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>`)

	handler := func(t *testing.T, wantAuth string, resp canned) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, http.MethodPost, r.Method)
			require.Equal(t, "/api/validate/signature", r.URL.Path)
			require.Equal(t, wantAuth, r.Header.Get("Authorization"))
			require.NoError(t, r.ParseMultipartForm(1<<20))
			for field, want := range map[string][]byte{"file": invoice, "signature": sig} {
				f, _, err := r.FormFile(field)
				require.NoError(t, err, field)
				got, err := io.ReadAll(f)
				require.NoError(t, err)
				require.Equal(t, want, got, field)
			}
			resp.write(w)
		})
	}

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, handler(t, "Bearer tok", canned{ctype: ctJSON, body: sample(t, "validate_signature_ok.json")}))
		res, err := c.ValidateSignature(t.Context(), "tok", invoice, sig)
		require.NoError(t, err)
		require.True(t, res.Valid)
		require.True(t, strings.HasPrefix(res.Text, "Fișierele încărcate au fost validate cu succes"))
	})
	t.Run("NotValid", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, handler(t, "Bearer tok", canned{ctype: ctJSON, body: sample(t, "validate_signature_nok.json")}))
		res, err := c.ValidateSignature(t.Context(), "tok", invoice, sig)
		require.NoError(t, err)
		require.False(t, res.Valid)
		require.True(t, strings.HasPrefix(res.Text, "Fișierele încărcate NU au putut fi validate cu succes"))
	})
	t.Run("PublicWithoutToken", func(t *testing.T) {
		t.Parallel()
		pub := newTestClient(t, handler(t, "", canned{ctype: ctJSON, body: sample(t, "validate_signature_ok.json")}))
		c := New(Config{BaseURL: "http://127.0.0.1:1", PublicBaseURL: pub.cfg.BaseURL})
		res, err := c.ValidateSignature(t.Context(), "", invoice, sig)
		require.NoError(t, err)
		require.True(t, res.Valid)
	})
	t.Run("TechnicalError400", func(t *testing.T) {
		t.Parallel()
		c := cannedClient(t, canned{status: 400, ctype: ctJSON, body: []byte(`{"msg":"Eroare tehnica la validarea semnaturii"}`)})
		_, err := c.ValidateSignature(t.Context(), "tok", invoice, sig)
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, KindInvalidRequest, e.Kind)
		require.Equal(t, "Eroare tehnica la validarea semnaturii", e.Text)
		require.Equal(t, 400, e.HTTPStatus)
		require.Equal(t, epSignature, e.Endpoint)
	})
	t.Run("UnknownText", func(t *testing.T) {
		t.Parallel()
		c := cannedClient(t, canned{ctype: ctJSON, body: []byte(`{"msg":"Ceva nou"}`)})
		_, err := c.ValidateSignature(t.Context(), "tok", invoice, sig)
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, KindMalformed, e.Kind)
		require.Equal(t, "Ceva nou", e.Text)
	})
	t.Run("WAF", func(t *testing.T) {
		t.Parallel()
		c := cannedClient(t, canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")})
		_, err := c.ValidateSignature(t.Context(), "tok", invoice, sig)
		require.ErrorIs(t, err, ErrTransient)
	})
}
