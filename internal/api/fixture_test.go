package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

const (
	cifA        = "98765438" // BETA TRADING SRL: the company whose key the tests mostly use
	cifB        = "12345674" // ALFA SOFT SRL: the other company, whose rows A's key must never see
	testBaseURL = "https://gw.example"
	genSeed     = 20260115
	genCount    = 40

	// Extra messages of company A, beside the generated invoices.
	anafIDErrors     = "987654321"  // ERORI FACTURA; shorter than the others, so first by anaf_id asc
	anafIDUnparsable = "3099999998" // readable ZIP, document that is not UBL
	anafIDBrokenZIP  = "3099999999" // bytes that are not a ZIP
)

// signature stands for ANAF's detached signature entry (never verified here).
var signature = []byte(`<?xml version="1.0" encoding="UTF-8"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>`)

// seeded is one stored message of a company, with its source.
type seeded struct {
	inv      *store.Invoice   // as stored; ID set
	doc      *invoice.Invoice // the parsed document; nil for errors and unparsable documents
	document []byte           // the document inside the ZIP (nil for the broken ZIP)
}

// fixture is a store seeded with two companies, a key for each, and the API on it.
type fixture struct {
	st       *store.Store
	h        http.Handler
	compA    *store.Company
	compB    *store.Company
	keyA     string
	keyB     string
	a, b     []seeded // in insertion (id) order
	logs     *strings.Builder
	syncedAt time.Time        // base of SyncedAt
	srv      *httptest.Server // f.h on a loopback port, for the Go client
}

// gw is the use-case layer on st, as the app builds it.
func gw(st *store.Store) *gateway.Service { return &gateway.Service{Store: st} }

// dueDateRE removes BT-9 from a generated invoice, making one whose due date is lacking.
var dueDateRE = regexp.MustCompile(`\s*<cbc:DueDate>[^<]*</cbc:DueDate>`)

// message is one ANAF message to be stored for a company.
type message struct {
	m        anaf.Message
	zip      []byte
	document []byte
	doc      *invoice.Invoice
}

// newFixture seeds st: invoicegen documents exchanged by A and B with the
// other generated companies become received/sent messages of each (wrapped
// in ANAF-shaped ZIPs and turned into rows as the sync engine does), plus,
// for A, an ERORI FACTURA message, an unparsable document and a broken ZIP;
// one of A's invoices lacks its due date. SyncedAt is shuffled so that
// synced_at order differs from id order.
func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{st: st, logs: &strings.Builder{}, syncedAt: time.Date(2026, 1, 16, 8, 0, 0, 0, time.UTC)}
	var err error
	f.compA, err = st.CreateCompany(ctx, cifA, "BETA TRADING SRL")
	require.NoError(t, err)
	f.compB, err = st.CreateCompany(ctx, cifB, "ALFA SOFT SRL")
	require.NoError(t, err)
	// Companies whose CIF ANAF confirmed: they show their invoices.
	for _, c := range []*store.Company{f.compA, f.compB} {
		_, err = st.SetCompanyVerified(ctx, c.ID, 0)
		require.NoError(t, err)
		c.Status = store.CompanyVerified
	}
	f.keyA = f.newKey(t, f.compA.ID)
	f.keyB = f.newKey(t, f.compB.ID)

	msgs := map[int64][]message{}
	counter := map[int64]int{}
	droppedDue := false
	for i, file := range invoicegen.Generate(genCount, genSeed) {
		data := file.Data
		doc, err := invoice.Parse(data)
		require.NoError(t, err, file.Name)
		seller, buyer := invoice.PartyCIF(doc.Seller), invoice.PartyCIF(doc.Buyer)
		upload := fmt.Sprintf("50%08d", i+1)
		for _, c := range []*store.Company{f.compA, f.compB} {
			var typ string
			switch c.CIF {
			case buyer:
				typ = store.TypeReceived
			case seller:
				typ = store.TypeSent
			default:
				continue
			}
			if c == f.compA && !droppedDue && typ == store.TypeReceived && doc.DocumentType == "Invoice" {
				// One invoice without a due date (BT-9 is optional).
				data = dueDateRE.ReplaceAll(data, nil)
				doc, err = invoice.Parse(data)
				require.NoError(t, err)
				require.Empty(t, doc.DueDate)
				droppedDue = true
			}
			counter[c.ID]++
			prefix := map[int64]string{f.compA.ID: "30", f.compB.ID: "40"}[c.ID]
			msgs[c.ID] = append(msgs[c.ID], message{
				m: anaf.Message{
					ID: fmt.Sprintf("%s%08d", prefix, counter[c.ID]), UploadID: upload, CIF: c.CIF, Type: typ,
					Details: fmt.Sprintf("Factura cu id_incarcare=%s emisa de cif_emitent=%s pentru cif_beneficiar=%s",
						upload, seller, buyer),
					CreatedAt:  invoicegen.BaseDate.Add(time.Duration(i) * time.Hour),
					CIFEmitent: seller, CIFBeneficiar: buyer,
				},
				zip: buildZIP(t, upload, data), document: data, doc: doc,
			})
		}
	}
	require.True(t, droppedDue)
	require.GreaterOrEqual(t, len(msgs[f.compA.ID]), 8, "the seed must give A enough invoices")
	require.GreaterOrEqual(t, len(msgs[f.compB.ID]), 4, "the seed must give B some invoices")

	errorsDoc := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="5099999999" Cif_emitent="98765438">
    <Error errorMessage="[BR-RO-065]-Identificatorul de înregistrare fiscala a Vanzatorului (BT-32) trebuie sa fie înscris."/>
</header>`)
	notUBL := []byte(`<?xml version="1.0" encoding="UTF-8"?><Comanda><Numar>1</Numar></Comanda>`)
	created := invoicegen.BaseDate.Add(-time.Hour)
	msgs[f.compA.ID] = append(msgs[f.compA.ID],
		message{
			m: anaf.Message{ID: anafIDErrors, UploadID: "5099999999", CIF: cifA, Type: store.TypeErrors, CreatedAt: created,
				Details: "Erori de validare identificate la factura primita cu id_incarcare=5099999999"},
			zip: buildZIP(t, "5099999999", errorsDoc), document: errorsDoc,
		},
		message{
			m: anaf.Message{ID: anafIDUnparsable, UploadID: "5099999998", CIF: cifA, Type: store.TypeReceived, CreatedAt: created,
				Details:    "Factura cu id_incarcare=5099999998 emisa de cif_emitent=31415920 pentru cif_beneficiar=98765438",
				CIFEmitent: "31415920", CIFBeneficiar: cifA},
			zip: buildZIP(t, "5099999998", notUBL), document: notUBL,
		},
		message{
			m: anaf.Message{ID: anafIDBrokenZIP, UploadID: "5099999997", CIF: cifA, Type: store.TypeReceived, CreatedAt: created,
				Details:    "Factura cu id_incarcare=5099999997 emisa de cif_emitent=31415920 pentru cif_beneficiar=98765438",
				CIFEmitent: "31415920", CIFBeneficiar: cifA},
			zip: []byte("PK\x03\x04 this is not a ZIP archive"),
		},
	)

	// Interleave the companies so neither's ids are contiguous.
	rnd := rand.New(rand.NewPCG(genSeed, 1))
	all := len(msgs[f.compA.ID]) + len(msgs[f.compB.ID])
	minutes := rnd.Perm(all)
	for n := 0; n < all; n++ {
		c := f.compA
		if n%2 == 1 && len(msgs[f.compB.ID]) > 0 || len(msgs[f.compA.ID]) == 0 {
			c = f.compB
		}
		m := msgs[c.ID][0]
		msgs[c.ID] = msgs[c.ID][1:]
		inv := anafsync.BuildInvoice(c.ID, m.m, m.zip)
		inv.SyncedAt = f.syncedAt.Add(time.Duration(minutes[n]) * time.Minute)
		inserted, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		require.True(t, inserted)
		s := seeded{inv: inv, doc: m.doc, document: m.document}
		if c == f.compA {
			f.a = append(f.a, s)
		} else {
			f.b = append(f.b, s)
		}
	}
	f.h = New(Deps{Gateway: gw(st), BaseURL: testBaseURL, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Go API client (package client) for the fixture's
// server with that key.
func (f *fixture) client(key string) *client.Client {
	return client.New(f.srv.URL, key, client.WithHTTPClient(f.srv.Client()))
}

func buildZIP(t *testing.T, upload string, doc []byte) []byte {
	t.Helper()
	z, err := invoice.BuildArchive(upload, doc, signature)
	require.NoError(t, err)
	return z
}

// newKey creates a read key of the company and returns it in clear.
func (f *fixture) newKey(t *testing.T, companyID int64) string {
	t.Helper()
	key, prefix, hash, err := auth.NewAPIKey()
	require.NoError(t, err)
	require.NoError(t, f.st.CreateAPIKey(context.Background(),
		&store.APIKey{CompanyID: companyID, Name: "test", Prefix: prefix, Hash: hash, Scope: store.ScopeRead}))
	return key
}

// get serves GET target (path and query, already escaped) with A's key
// unless headers are given (then exactly those headers).
func (f *fixture) get(t *testing.T, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if headers == nil {
		headers = []string{"X-API-KEY", f.keyA}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// find returns A's (or B's) seeded message with that ANAF id.
func find(list []seeded, anafID string) seeded {
	for _, s := range list {
		if s.inv.ANAFID == anafID {
			return s
		}
	}
	panic("no seeded message " + anafID)
}

// listAnswer is the list endpoint's answer.
type listAnswer struct {
	Data []struct {
		ID     int64  `json:"id"`
		ANAFID string `json:"anaf_id"`
	} `json:"data"`
	Pagination struct {
		Page    int  `json:"page"`
		PerPage int  `json:"per_page"`
		Total   int  `json:"total"`
		Pages   int  `json:"pages"`
		HasNext bool `json:"has_next"`
		HasPrev bool `json:"has_prev"`
	} `json:"pagination"`
	Meta struct {
		CompanyID  int64  `json:"company_id"`
		CompanyCIF string `json:"company_cif"`
	} `json:"meta"`
}

func (l listAnswer) ids() []int64 {
	out := make([]int64, 0, len(l.Data))
	for _, d := range l.Data {
		out = append(out, d.ID)
	}
	return out
}

// list serves a list request with A's key, requires 200 and decodes it.
func (f *fixture) list(t *testing.T, query string) listAnswer {
	t.Helper()
	rec := f.get(t, "/api/v1/invoices?"+query)
	require.Equal(t, http.StatusOK, rec.Code, "%s: %s", query, rec.Body.String())
	var out listAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.NotNil(t, out.Data, "data must be [] rather than null")
	return out
}

// requireError checks an error answer: status, JSON content type and a body
// of exactly {"error","message","code"} with the status text and the code.
func requireError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	var body struct {
		Error   *string `json:"error"`
		Message *string `json:"message"`
		Code    *string `json:"code"`
	}
	require.NoError(t, dec.Decode(&body))
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "one JSON object only")
	require.NotNil(t, body.Error)
	require.NotNil(t, body.Message)
	require.NotNil(t, body.Code)
	require.Equal(t, http.StatusText(status), *body.Error)
	require.NotEmpty(t, *body.Message)
	require.Equal(t, code, *body.Code)
}

// sortKey extracts a sort_by value of a seeded message; ok=false when it has none (sorted last).
func sortKey(s seeded, sortBy string) (v any, ok bool) {
	switch sortBy {
	case "invoice_date":
		return s.inv.IssueDate, s.inv.IssueDate != ""
	case "total_amount":
		d, err := decimal.NewFromString(s.inv.TotalAmount)
		return d, err == nil
	case "synced_at":
		return s.inv.SyncedAt, true
	case "anaf_id":
		return s.inv.ANAFID, true
	}
	panic("unknown sort " + sortBy)
}

// expectOrder is the contract's order of rows: by sortBy in its direction,
// messages without a value last in both directions, ties by id in the
// same direction; anaf_id compares as a number.
func expectOrder(rows []seeded, sortBy string, desc bool) []int64 {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(x, y seeded) int {
		xv, xok := sortKey(x, sortBy)
		yv, yok := sortKey(y, sortBy)
		if xok != yok {
			if xok {
				return -1
			}
			return 1
		}
		c := 0
		if xok {
			switch xv := xv.(type) {
			case string:
				yv := yv.(string)
				if sortBy == "anaf_id" {
					c = cmp.Compare(len(xv), len(yv))
				}
				if c == 0 {
					c = strings.Compare(xv, yv)
				}
			case decimal.Decimal:
				c = xv.Cmp(yv.(decimal.Decimal))
			case time.Time:
				c = xv.Compare(yv.(time.Time))
			}
		}
		if c == 0 {
			c = cmp.Compare(x.inv.ID, y.inv.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
	return ids(rows)
}

func ids(rows []seeded) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.inv.ID)
	}
	return out
}

// filter keeps the rows for which keep is true, in the given order.
func filter(rows []seeded, keep func(seeded) bool) []seeded {
	var out []seeded
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// foldRO lower-cases and strips Romanian diacritics (both the comma and
// the cedilla forms): the test's own model of the q search, independent of the store's.
func foldRO(s string) string {
	return strings.NewReplacer("ă", "a", "â", "a", "î", "i", "ș", "s", "ş", "s", "ț", "t", "ţ", "t").
		Replace(strings.ToLower(s))
}
