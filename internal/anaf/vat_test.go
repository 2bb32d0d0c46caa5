package anaf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// A made-up v9 answer (shapes as shared/anaf/VAT.md describes them).
const vatBody = `{"found":[{"date_generale":{"cui":16180331,"data":"2026-03-16","denumire":"OMEGA TEST SRL",
"adresa":"JUD. IAŞI, MUN. IAŞI, STR. X, NR.1","nrRegCom":"J22/1/2016","telefon":"","fax":"","codPostal":"700001","act":"",
"stare_inregistrare":"INREGISTRAT din data 11.05.2016","data_inregistrare":"2016-05-11","cod_CAEN":"4120","iban":"",
"statusRO_e_Factura":true,"data_inreg_Reg_RO_e_Factura":"01.01.2024","organFiscalCompetent":"AJFP Iaşi",
"forma_de_proprietate":"","forma_organizare":"","forma_juridica":"SRL"},
"inregistrare_scop_Tva":{"scpTVA":false,"perioade_TVA":[{"data_inceput_ScpTVA":"2016-06-01","data_sfarsit_ScpTVA":"2025-10-06","data_anul_imp_ScpTVA":"2025-10-20","mesaj_ScpTVA":"anulare"}]},
"inregistrare_RTVAI":{"dataInceputTvaInc":"","dataSfarsitTvaInc":"","dataActualizareTvaInc":"","dataPublicareTvaInc":"","tipActTvaInc":"","statusTvaIncasare":false},
"stare_inactiv":{"dataInactivare":"2025-10-06","dataReactivare":"","dataPublicare":"2025-10-14","dataRadiere":"","statusInactivi":true},
"inregistrare_SplitTVA":{"dataInceputSplitTVA":"","dataAnulareSplitTVA":"","statusSplitTVA":false},
"adresa_sediu_social":{"sdenumire_Strada":"Str. X","scod_JudetAuto":"IS"},
"adresa_domiciliu_fiscal":{"ddenumire_Strada":"Str. X","dcod_JudetAuto":"IS","dcod_Postal":"700001"}}],"notFound":[13579240]}`

func TestParseVATResponse(t *testing.T) {
	a, err := ParseVATResponse([]byte(vatBody))
	require.NoError(t, err)
	require.Len(t, a.Found, 1)
	r := a.Found[0]
	require.Equal(t, "16180331", r.CUI)
	require.Equal(t, "OMEGA TEST SRL", r.Name)
	require.True(t, r.Status.Inactive)
	require.Equal(t, "2025-10-06", r.Status.Since)
	require.False(t, r.VATRegistered)
	require.Equal(t, []VATPeriod{{Start: "2016-06-01", End: "2025-10-06", Operated: "2025-10-20", Message: "anulare"}}, r.VATPeriods)
	_, in := r.PeriodAt("2020-01-01")
	require.True(t, in)
	_, in = r.PeriodAt("2025-10-06")
	require.False(t, in)
	require.True(t, r.EFacturaKnown && r.EFacturaRegister)
	require.Equal(t, "2024-01-01", r.EFacturaRegisterOn)
	require.Equal(t, "IS", r.FiscalDomicile.CountyAuto)
	require.Equal(t, "700001", r.FiscalDomicile.PostalCode)
	require.Equal(t, []string{"13579240"}, a.NotFound)
}

func TestParseVATResponseVariants(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		kind     ErrorKind
		notFound []string
		found    int
	}{
		{"v8 envelope", `{"cod":200,"message":"SUCCESS","found":[],"notFound":[1]}`, 0, []string{"1"}, 0},
		{"notFound as objects", `{"found":[],"notFound":[{"cui":13579240}]}`, 0, []string{"13579240"}, 0},
		{"notfound lower case, strings", `{"found":[],"notfound":["RO13579240"]}`, 0, []string{"13579240"}, 0},
		{"perioade_TVA as one object", `{"found":[{"date_generale":{"cui":"12345674","statusRO_e_Factura":"true"},"inregistrare_scop_Tva":{"scpTVA":true,"perioade_TVA":{"data_inceput_ScpTVA":"2015-01-01"}}}]}`, 0, []string{}, 1},
		{"cod not 200", `{"cod":500,"message":"Eroare"}`, KindTransient, nil, 0},
		{"neither found nor notFound", `{}`, KindTransient, nil, 0},
		{"html", `<html><body>The requested URL was rejected</body></html>`, KindMalformed, nil, 0},
		{"found without a cui", `{"found":[{"date_generale":{}}]}`, KindMalformed, nil, 0},
		{"a boolean that is not one", `{"found":[{"date_generale":{"cui":1},"stare_inactiv":{"statusInactivi":"poate"}}]}`, KindMalformed, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseVATResponse([]byte(tc.body))
			if tc.kind != 0 {
				var e *Error
				require.True(t, errors.As(err, &e), "%v", err)
				require.Equal(t, tc.kind, e.Kind)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.notFound, a.NotFound)
			require.Len(t, a.Found, tc.found)
		})
	}
}

// TestParseVATSharedSamples reads the reconstructed bodies of
// shared/anaf/samples/vat when the shared folder is present.
func TestParseVATSharedSamples(t *testing.T) {
	dir := "../../../shared/anaf/samples/vat"
	names, _ := filepath.Glob(filepath.Join(dir, "response_*.json"))
	if len(names) == 0 {
		t.Skip("shared/anaf/samples/vat not present")
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		require.NoError(t, err)
		a, err := ParseVATResponse(data)
		require.NoError(t, err, n)
		require.Equal(t, 1, len(a.Found)+len(a.NotFound), n)
	}
}

type countingLimiter struct{ n atomic.Int32 }

func (c *countingLimiter) Wait(context.Context) error { c.n.Add(1); return nil }

// TestLookupVATRequest: the body sent (numbers without RO, the dates), the
// limiter asked once per request, 404 with a body as "none found", 400 as
// an invalid request.
func TestLookupVATRequest(t *testing.T) {
	var got []byte
	status := http.StatusNotFound
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, VATPath, r.URL.Path)
		require.Empty(t, r.Header.Get("Authorization"))
		got = make([]byte, r.ContentLength)
		_, _ = r.Body.Read(got)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"found":[],"notFound":[12345674]}`))
	}))
	defer srv.Close()
	lim := &countingLimiter{}
	c := New(Config{PublicBaseURL: srv.URL, VATLimiter: lim})
	a, err := c.LookupVAT(context.Background(), []VATQuery{{CUI: "RO 12345674", Date: "2026-03-16"}})
	require.NoError(t, err)
	require.JSONEq(t, `[{"cui":12345674,"data":"2026-03-16"}]`, string(got))
	require.Equal(t, []string{"12345674"}, a.NotFound)
	require.EqualValues(t, 1, lim.n.Load())

	status = http.StatusBadRequest
	_, err = c.LookupVAT(context.Background(), []VATQuery{{CUI: "12345674", Date: "2026-03-16"}})
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.LookupVAT(context.Background(), []VATQuery{{CUI: "12345674", Date: "16.03.2026"}})
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.LookupVAT(context.Background(), nil)
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func FuzzParseVATResponse(f *testing.F) {
	f.Add([]byte(vatBody))
	f.Add([]byte(`{"cod":200,"message":"SUCCESS","found":[],"notfound":[{"cui":"1"}]}`))
	f.Add([]byte(`{"found":[{"date_generale":{"cui":1},"inregistrare_scop_Tva":{"perioade_TVA":{}}}]}`))
	f.Add([]byte(`<html>Mentenanta sistem</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseVATResponse(body)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "errors are *Error: %v", err)
			return
		}
		for _, r := range a.Found {
			require.NotEmpty(t, r.CUI)
		}
		for _, cui := range a.NotFound {
			require.NotContains(t, cui, "RO")
		}
	})
}
