package anaf

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func msgJSON(id, created, details string) map[string]string {
	return map[string]string{
		"data_creare": created, "cif": "12345674", "id_solicitare": "50" + id,
		"detalii": details, "tip": "FACTURA PRIMITA", "id": id,
	}
}

func pageJSON(t *testing.T, page, total int, msgs ...map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"mesaje": msgs, "numar_inregistrari_in_pagina": len(msgs), "numar_total_inregistrari_per_pagina": 500,
		"numar_total_inregistrari": 1002, "numar_total_pagini": total, "index_pagina_curenta": page,
		"serial": "1234AA456", "cui": "12345674", "titlu": "Lista Mesaje disponibile din intervalul …",
	})
	require.NoError(t, err)
	return b
}

func TestListMessagesPagination(t *testing.T) {
	t.Parallel()

	const det = "Factura cu id_incarcare=5012345678 emisa de cif_emitent=31415920 pentru cif_beneficiar=12345674"
	start := time.Date(2026, 1, 1, 0, 0, 0, 123_000_000, time.UTC)
	end := time.Date(2026, 1, 15, 9, 59, 0, 0, time.UTC)

	var mu sync.Mutex
	var pages []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		require.Equal(t, "/test/FCTEL/rest/listaMesajePaginatieFactura", r.URL.Path)
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		require.Equal(t, strconv.FormatInt(start.UnixMilli(), 10), q.Get("startTime"))
		require.Equal(t, "1767225600123", q.Get("startTime"))
		require.Equal(t, strconv.FormatInt(end.UnixMilli(), 10), q.Get("endTime"))
		require.Equal(t, "12345674", q.Get("cif"))
		mu.Lock()
		pages = append(pages, q.Get("pagina"))
		mu.Unlock()
		w.Header().Set("Content-Type", ctJSON)
		// The total says 4 pages, but page 4 turns out to be past the end
		// (HTTP 400 variant); page 2 repeats a message of page 1.
		switch q.Get("pagina") {
		case "1":
			_, _ = w.Write(pageJSON(t, 1, 4, msgJSON("3000000001", "202601101000", det), msgJSON("3000000002", "202601101001", det)))
		case "2":
			_, _ = w.Write(pageJSON(t, 2, 4, msgJSON("3000000002", "202601101001", det), msgJSON("3000000003", "202601101002", det)))
		case "3":
			_, _ = w.Write(pageJSON(t, 3, 4, msgJSON("3000000004", "202601101003", det)))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"eroare": "Pagina solicitata %s este mai mare decat numarul toatal de pagini 3", "titlu": "Lista Mesaje"}`, q.Get("pagina"))
		}
	})
	c := newTestClient(t, h)
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", start, end)
	require.NoError(t, err)
	ids := []string{}
	for _, m := range msgs {
		ids = append(ids, m.ID)
		require.Equal(t, "31415920", m.CIFEmitent)
		require.Equal(t, "12345674", m.CIFBeneficiar)
		require.False(t, m.CreatedAt.IsZero())
		require.Equal(t, time.UTC, m.CreatedAt.Location())
	}
	require.Equal(t, []string{"3000000001", "3000000002", "3000000003", "3000000004"}, ids)
	require.Equal(t, []string{"1", "2", "3", "4"}, pages)
	require.Equal(t, time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), msgs[0].CreatedAt)

	// The past-last-page answer alone: no error, no messages, the real total.
	got, total, err := c.ListMessagesPage(t.Context(), "tok", "12345674", start, end, 9)
	require.NoError(t, err)
	require.Empty(t, got)
	require.Equal(t, 3, total)
}

func TestListMessagesSamplePage(t *testing.T) {
	t.Parallel()
	c := cannedClient(t, canned{ctype: ctJSON, body: sample(t, "paginatie_ok_last_page.json")})
	msgs, total, err := c.ListMessagesPage(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow, 3)
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, msgs, 2)
	require.Equal(t, Message{
		ID: "3012345671", UploadID: "5012345678", CIF: "12345674", CreatedRaw: "202601151036", Type: "FACTURA TRIMISA",
		Details:   "Factura cu id_incarcare=5012345678 emisa de cif_emitent=12345674 pentru cif_beneficiar=98765438",
		CreatedAt: time.Date(2026, 1, 15, 8, 36, 0, 0, time.UTC), CIFEmitent: "12345674", CIFBeneficiar: "98765438",
	}, msgs[0])
	require.Equal(t, "ERORI FACTURA", msgs[1].Type)
	require.Empty(t, msgs[1].CIFEmitent)
}

func TestListMessagesNoMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		status int
		file   string
	}{
		{"Interval200", 200, "paginatie_err_no_messages.json"},
		{"Interval400", 400, "paginatie_err_no_messages.json"},
		{"Days200TextPlain", 200, "lista_err_no_messages.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := ctJSON
			if tt.name == "Days200TextPlain" {
				ct = ctText
			}
			c := cannedClient(t, canned{status: tt.status, ctype: ct, body: sample(t, tt.file)})
			msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
			require.NoError(t, err)
			require.Empty(t, msgs)
			page, total, err := c.ListMessagesPage(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow, 1)
			require.NoError(t, err)
			require.Empty(t, page)
			require.Zero(t, total)
		})
	}
}

func TestListMessagesErrorStopsWalk(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("pagina") == "1" {
			_, _ = w.Write(pageJSON(t, 1, 2, msgJSON("3000000001", "202601101000", "")))
			return
		}
		_, _ = w.Write(sample(t, "lista_err_daily_limit.json"))
	})
	c := newTestClient(t, h)
	_, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.ErrorIs(t, err, ErrQuota)
	require.Contains(t, err.Error(), "page 2")
}

func TestParseCreatedDST(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw  string
		want time.Time
	}{
		{"202601151036", time.Date(2026, 1, 15, 8, 36, 0, 0, time.UTC)},   // winter, EET +2
		{"202507011200", time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)},     // summer, EEST +3
		{"202503300259", time.Date(2025, 3, 30, 0, 59, 0, 0, time.UTC)},   // just before spring forward
		{"202503300400", time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC)},    // just after (03:xx does not exist)
		{"202510260259", time.Date(2025, 10, 25, 23, 59, 0, 0, time.UTC)}, // before fall back, still +3
		{"202510260400", time.Date(2025, 10, 26, 2, 0, 0, 0, time.UTC)},   // after fall back, +2
		{"20251026040005", time.Date(2025, 10, 26, 2, 0, 5, 0, time.UTC)}, // with seconds
		{"202512312359", time.Date(2025, 12, 31, 21, 59, 0, 0, time.UTC)}, // year end
		{"202603290300", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},    // in the 2026 spring gap: read as EET
	} {
		got, err := ParseCreated(tt.raw)
		require.NoError(t, err, tt.raw)
		require.Equal(t, tt.want, got, tt.raw)
		require.Equal(t, time.UTC, got.Location())
	}
	_, err := ParseCreated("2026-01-15")
	require.Error(t, err)
}

func TestListMessagesCreatedAtAcrossDST(t *testing.T) {
	t.Parallel()
	body := pageJSON(t, 1, 1,
		msgJSON("1", "202510260259", ""), msgJSON("2", "202510260400", ""), msgJSON("3", "garbage", ""))
	c := cannedClient(t, canned{ctype: ctJSON, body: body})
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.Equal(t, time.Date(2025, 10, 25, 23, 59, 0, 0, time.UTC), msgs[0].CreatedAt)
	require.Equal(t, time.Date(2025, 10, 26, 2, 0, 0, 0, time.UTC), msgs[1].CreatedAt)
	require.True(t, msgs[2].CreatedAt.IsZero(), "unparsable data_creare leaves CreatedAt zero")
	require.Equal(t, "garbage", msgs[2].CreatedRaw)
}

func TestListMessagesToleratesNumbers(t *testing.T) {
	t.Parallel()
	body := []byte(`{"mesaje":[{"data_creare":202601151036,"cif":12345674,"id_solicitare":5012345678,"detalii":"x","tip":"FACTURA PRIMITA","id":3012345671}],"numar_total_pagini":"1"}`)
	c := cannedClient(t, canned{ctype: ctJSON, body: body})
	msgs, total, err := c.ListMessagesPage(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow, 1)
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, "3012345671", msgs[0].ID)
	require.Equal(t, "5012345678", msgs[0].UploadID)
}

func TestParseDetails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   string
		want Details
	}{
		{"Ordinary", "Factura cu id_incarcare=5012345678 emisa de cif_emitent=12345674 pentru cif_beneficiar=98765438",
			Details{UploadID: "5012345678", CIFEmitent: "12345674", CIFBeneficiar: "98765438"}},
		{"OrdinaryArbitraryBuyer", "Factura cu id_incarcare=5012345678 emisa de cif_emitent=12345674 pentru cif_beneficiar=3",
			Details{UploadID: "5012345678", CIFEmitent: "12345674", CIFBeneficiar: "3"}},
		{"OrdinaryExtraSpacesAndCase", "factura cu ID_INCARCARE = 5012345678  emisa de  cif_emitent= 12345674 pentru cif_beneficiar =98765438",
			Details{UploadID: "5012345678", CIFEmitent: "12345674", CIFBeneficiar: "98765438"}},
		{"SelfBilled", "Factura cu id_incarcare=5012345679 transmisa de cif=98765438  ca autofactutra in numele cif=12345674",
			Details{UploadID: "5012345679", CIFEmitent: "12345674", CIFBeneficiar: "98765438", SelfBilled: true}},
		{"SelfBilledFixedTypoSingleSpace", "Factura cu id_incarcare=5012345679 transmisa de cif=98765438 ca autofactura in numele cif=12345674",
			Details{UploadID: "5012345679", CIFEmitent: "12345674", CIFBeneficiar: "98765438", SelfBilled: true}},
		{"Errors", "Erori de validare identificate la factura transmisa cu id_incarcare=5012345690",
			Details{UploadID: "5012345690", Errors: true}},
		{"ErrorsOldWording", "Erori de validare identificate la factura primita cu id_incarcare=5012345690",
			Details{UploadID: "5012345690", Errors: true}},
		{"ErrorsSelfBilled", "Erori de validare identificate la factura de tip declarat=AUTOFACTURA, transmisa cu id_incarcare=5012345692",
			Details{UploadID: "5012345692", Errors: true, SelfBilled: true}},
		{"BuyerMessage", "Mesaj RASP primit de la cumparator pentru factura cu id_incarcare=5012345678",
			Details{UploadID: "5012345678"}},
		{"Unknown", "ceva", Details{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ParseDetails(tt.in))
		})
	}
}
