package anaf

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestObserver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []CallInfo
	obs := func(ci CallInfo) { mu.Lock(); got = append(got, ci); mu.Unlock() }
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/descarcare"):
			canned{ctype: ctJSON, body: sample(t, "descarcare_err_not_found.json")}.write(w)
		case strings.HasSuffix(r.URL.Path, "/token"):
			canned{ctype: ctJSON, body: sample(t, "oauth_token_response.json")}.write(w)
		default: // stareMesaj: 503 once, then ok
			if calls.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			canned{ctype: ctXML, body: sample(t, "stare_ok.xml")}.write(w)
		}
	}), func(cfg *Config) {
		cfg.Observer = obs
		cfg.Retry = &RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}
		cfg.QuotaLimits.ListPagedPerCIFPerDay = 0 // default
		cfg.QuotaLimits.DownloadsPerMessagePerDay = 1
	})
	_, err := c.Status(t.Context(), "tok", "5012345678")
	require.NoError(t, err)
	_, err = c.Download(t.Context(), "tok", "3099999999")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = c.Download(t.Context(), "tok", "3099999999")
	require.ErrorIs(t, err, ErrQuota)
	_, err = c.Refresh(t.Context(), "rt")
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 5)
	strip := func(ci CallInfo) CallInfo {
		require.GreaterOrEqual(t, ci.Duration, time.Duration(0))
		ci.Duration = 0
		return ci
	}
	require.Equal(t, CallInfo{Endpoint: "stareMesaj", Outcome: "transient failure", Kind: KindTransient, HTTPStatus: 503}, strip(got[0]))
	require.Equal(t, CallInfo{Endpoint: "stareMesaj", Outcome: "ok", HTTPStatus: 200}, strip(got[1]))
	require.Equal(t, CallInfo{Endpoint: "descarcare", Outcome: "not found", Kind: KindNotFound, HTTPStatus: 200}, strip(got[2]))
	require.Equal(t, CallInfo{Endpoint: "descarcare", Outcome: "quota exceeded", Kind: KindQuota, Local: true}, strip(got[3]))
	require.Equal(t, CallInfo{Endpoint: "token", Outcome: "ok", HTTPStatus: 200}, strip(got[4]))
}

func TestListRecentMessages(t *testing.T) {
	t.Parallel()
	t.Run("OKWithFilter", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "/test/FCTEL/rest/listaMesajeFactura", r.URL.Path)
			q := r.URL.Query()
			require.Equal(t, "7", q.Get("zile"))
			require.Equal(t, "12345674", q.Get("cif"))
			require.Equal(t, "P", q.Get("filtru"))
			require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
			canned{ctype: ctJSON, body: sample(t, "lista_ok.json")}.write(w)
		}))
		msgs, err := c.ListRecentMessages(t.Context(), "tok", "12345674", 7, ListOptions{Filter: FilterReceived})
		require.NoError(t, err)
		require.Len(t, msgs, 3)
		require.Equal(t, "3012345671", msgs[0].ID)
		require.Equal(t, "98765438", msgs[0].CIFBeneficiar)
		require.Equal(t, time.Date(2026, 1, 15, 8, 36, 0, 0, time.UTC), msgs[0].CreatedAt)
		require.Equal(t, "FACTURA PRIMITA", msgs[2].Type)
	})
	t.Run("NoFilterSendsNone", func(t *testing.T) {
		t.Parallel()
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.False(t, r.URL.Query().Has("filtru"))
			canned{ctype: ctJSON, body: sample(t, "lista_err_no_messages.json")}.write(w)
		}))
		msgs, err := c.ListRecentMessages(t.Context(), "tok", "12345674", 60, ListOptions{})
		require.NoError(t, err)
		require.Empty(t, msgs, "Nu exista mesaje is an empty result")
	})
	for _, tt := range []struct {
		name string
		file string
		kind ErrorKind
		sent error
		q    Quota
	}{
		{"Over500IsTyped", "lista_err_over_500.json", KindListTooLarge, ErrListTooLarge, ""},
		{"DailyLimit", "lista_err_daily_limit.json", KindQuota, ErrQuota, QuotaList},
		{"ZileRange", "lista_err_zile_range.json", KindInvalidRequest, ErrInvalidRequest, ""},
		{"Filtru", "lista_err_filtru.json", KindInvalidRequest, ErrInvalidRequest, ""},
		{"NoRights", "lista_err_no_rights_cif.json", KindNoRights, ErrNoRights, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, canned{ctype: ctJSON, body: sample(t, tt.file)})
			_, err := c.ListRecentMessages(t.Context(), "tok", "12345674", 7, ListOptions{})
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "%v", err)
			require.ErrorIs(t, err, tt.sent)
			require.Equal(t, epList, e.Endpoint)
			require.Equal(t, tt.q, e.Quota)
			require.False(t, e.Local)
			require.NotEmpty(t, e.Text)
		})
	}
	t.Run("LocalArgumentChecks", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctJSON, body: sample(t, "lista_ok.json")})
		for _, days := range []int{0, 61, -1} {
			_, err := c.ListRecentMessages(t.Context(), "tok", "1", days, ListOptions{})
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, KindInvalidRequest, e.Kind)
			require.True(t, e.Local)
		}
		_, err := c.ListRecentMessages(t.Context(), "tok", "1", 5, ListOptions{Filter: "X"})
		require.ErrorIs(t, err, ErrInvalidRequest)
		_, _, err = c.ListMessagesPageWithOptions(t.Context(), "tok", "1", testNow.Add(-time.Hour), testNow, 1, ListOptions{Filter: "e"})
		require.ErrorIs(t, err, ErrInvalidRequest)
		require.Zero(t, n.Load())
	})
}

func TestListMessagesFilter(t *testing.T) {
	t.Parallel()
	for _, f := range []Filter{FilterErrors, FilterSent, FilterReceived, FilterBuyerMessages} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, string(f), r.URL.Query().Get("filtru"))
				canned{ctype: ctJSON, body: sample(t, "paginatie_ok_last_page.json")}.write(w)
			}))
			_, err := c.ListMessagesWithOptions(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow, ListOptions{Filter: f})
			require.NoError(t, err)
		})
	}
}

// TestListMessagesIgnoresIndexPaginaCurenta: a server that always says
// index_pagina_curenta=1 must not stop or loop the walk.
func TestListMessagesIgnoresIndexPaginaCurenta(t *testing.T) {
	t.Parallel()
	var asked []string
	var mu sync.Mutex
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("pagina")
		mu.Lock()
		asked = append(asked, p)
		mu.Unlock()
		if p == "4" {
			canned{ctype: ctJSON, body: []byte(`{"eroare":"Pagina solicitata 4 este mai mare decat numarul toatal de pagini 3","titlu":"Lista Mesaje"}`)}.write(w)
			return
		}
		body := pageJSON(t, 1, 3, msgJSON("30000000"+p, "202601101000", ""))
		canned{ctype: ctJSON, body: body}.write(w)
	}))
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.Equal(t, []string{"1", "2", "3"}, asked)
}

func TestListMessagesTotalFromRecordCount(t *testing.T) {
	t.Parallel()
	// numar_total_pagini says 1 but 1002 records at 500 a page is 3 pages.
	var asked atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		p := r.URL.Query().Get("pagina")
		body, err := json.Marshal(map[string]any{
			"mesaje":                              []map[string]string{msgJSON("31"+p, "202601101000", "")},
			"numar_total_inregistrari_per_pagina": 500, "numar_total_inregistrari": 1002,
			"numar_total_pagini": 1, "index_pagina_curenta": 1,
		})
		require.NoError(t, err)
		canned{ctype: ctJSON, body: body}.write(w)
	}))
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.Equal(t, int32(3), asked.Load())
}

func TestListMessagesFullPageWithoutTotal(t *testing.T) {
	t.Parallel()
	full := make([]map[string]string, PageSize)
	for i := range full {
		full[i] = msgJSON(fmt.Sprintf("30%08d", i), "202601101000", "")
	}
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		var err error
		if r.URL.Query().Get("pagina") == "1" {
			body, err = json.Marshal(map[string]any{"mesaje": full})
		} else {
			body, err = json.Marshal(map[string]any{"mesaje": []map[string]string{msgJSON("3199999999", "202601101000", "")}})
		}
		require.NoError(t, err)
		canned{ctype: ctJSON, body: body}.write(w)
	}))
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Len(t, msgs, PageSize+1)
}

func TestOpaqueIdentifiers(t *testing.T) {
	t.Parallel()
	// Ids longer than any integer type, as JSON strings and numbers.
	const big = "123456789012345678901234567890"
	body := []byte(`{"mesaje":[{"data_creare":"202601151036","cif":"12345674","id_solicitare":` + big + `,"detalii":"Factura cu id_incarcare=` + big + ` emisa de cif_emitent=1 pentru cif_beneficiar=2","tip":"FACTURA TRIMISA","id":"0` + big + `"}],"numar_total_pagini":1}`)
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/descarcare"):
			require.Equal(t, "0"+big, r.URL.Query().Get("id"), "leading zero kept")
			canned{ctype: "application/zip", body: sample(t, "oca-3828-download-error.zip")}.write(w)
		case strings.HasSuffix(r.URL.Path, "/stareMesaj"):
			require.Equal(t, big, r.URL.Query().Get("id_incarcare"))
			canned{ctype: ctXML, body: []byte(`<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="ok" id_descarcare="0` + big + `"/>`)}.write(w)
		case strings.HasSuffix(r.URL.Path, "/upload"):
			canned{ctype: ctXML, body: []byte(`<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" ExecutionStatus="0" index_incarcare="` + big + `"/>`)}.write(w)
		default:
			canned{ctype: ctJSON, body: body}.write(w)
		}
	}))
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Equal(t, "0"+big, msgs[0].ID)
	require.Equal(t, big, msgs[0].UploadID)
	require.Equal(t, big, ParseDetails(msgs[0].Details).UploadID)
	_, err = c.Download(t.Context(), "tok", msgs[0].ID)
	require.NoError(t, err)
	st, err := c.Status(t.Context(), "tok", big)
	require.NoError(t, err)
	require.Equal(t, "0"+big, st.DownloadID)
	idx, err := c.Upload(t.Context(), "tok", StandardUBL, "1", []byte("<Invoice/>"))
	require.NoError(t, err)
	require.Equal(t, big, idx)
}

func TestUnknownTipKeptAsWritten(t *testing.T) {
	t.Parallel()
	body := pageJSON(t, 1, 1,
		map[string]string{"id": "1", "tip": "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS", "data_creare": "202601151036"},
		map[string]string{"id": "2", "tip": "Notificare noua  ANAF", "data_creare": "202601151036"})
	c := cannedClient(t, canned{ctype: ctJSON, body: body})
	msgs, err := c.ListMessages(t.Context(), "tok", "12345674", testNow.Add(-time.Hour), testNow)
	require.NoError(t, err)
	require.Len(t, msgs, 2, "an unknown tip is never dropped")
	require.Equal(t, "Notificare noua  ANAF", msgs[1].Type, "kept byte for byte")
	require.Equal(t, ClassBuyerMessage, TypeClass(msgs[0].Type))
	require.Equal(t, ClassUnknown, TypeClass(msgs[1].Type))
	for tip, want := range map[string]string{
		"FACTURA TRIMISA": ClassSent, "factura primita ": ClassReceived, "ERORI FACTURA": ClassErrors,
		"MESAJ CUMPARATOR PRIMIT": ClassBuyerMessage, "MESAJ CUMPARATOR TRANSMIS": ClassBuyerMessage, "": ClassUnknown,
	} {
		require.Equal(t, want, TypeClass(tip), tip)
	}
}

func TestLongTokensStoredExactly(t *testing.T) {
	t.Parallel()
	// ANAF's JWTs run past 1,500 characters: build a 2,400-character one.
	claims := `{"exp":1776246000,"serial":"` + strings.Repeat("34:00:00:25:69:", 100) + `"}`
	access := fakeJWT(claims)
	refresh := fakeJWT(`{"exp":1800006000,"pad":"` + strings.Repeat("r", 1600) + `"}`)
	require.Greater(t, len(access), 1500)
	require.Greater(t, len(refresh), 1500)
	tokBody, err := json.Marshal(map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": 7776000})
	require.NoError(t, err)
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			canned{ctype: ctJSON, body: tokBody}.write(w)
			return
		}
		require.Equal(t, "Bearer "+access, r.Header.Get("Authorization"), "sent exactly")
		canned{ctype: ctText, body: []byte("Hello")}.write(w)
	}))
	tok, err := c.Exchange(t.Context(), "code")
	require.NoError(t, err)
	require.Equal(t, access, tok.AccessToken)
	require.Equal(t, refresh, tok.RefreshToken)
	require.Equal(t, time.Unix(1776246000, 0).UTC(), tok.ExpiresAt, "lifetime from the JWT, not a constant")
	require.Equal(t, time.Unix(1800006000, 0).UTC(), *tok.RefreshExpiresAt)
	_, err = c.Hello(t.Context(), tok.AccessToken)
	require.NoError(t, err)
}

func TestRefreshRotatesRefreshToken(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		i := n.Add(1)
		require.Equal(t, fmt.Sprintf("rt-%d", i-1), r.PostForm.Get("refresh_token"), "each refresh uses the newest refresh token")
		canned{ctype: ctJSON, body: fmt.Appendf(nil, `{"access_token":"at-%d","refresh_token":"rt-%d","expires_in":60}`, i, i)}.write(w)
	}))
	rt := "rt-0"
	for i := 1; i <= 3; i++ {
		tok, err := c.Refresh(t.Context(), rt)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("rt-%d", i), tok.RefreshToken)
		require.Equal(t, testNow.Add(time.Minute), tok.ExpiresAt, "expires_in from the answer")
		rt = tok.RefreshToken
	}
}
