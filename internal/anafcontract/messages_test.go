package anafcontract

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
)

// TestListRecentMessages: listaMesajeFactura with zile and filtru; every
// message parsed (CreatedAt in range, CIFs from detalii); "no messages"
// is an empty result.
func TestListRecentMessages(t *testing.T) {
	t.Parallel()
	unknown := anafsim.SyntheticCIFs(7)[6] // known to the simulator, no messages
	b := setup(t, func(o *setupOpts) {
		o.sim = func(so *anafsim.Options) { so.KnownCIFs = []string{unknown} }
	})
	ctx := context.Background()
	now := b.clock.Now()
	all, err := b.client.ListRecentMessages(ctx, b.token, cifGamma, 60, anaf.ListOptions{})
	require.NoError(t, err)
	require.Len(t, all, 7)
	ids(t, all)
	for _, m := range all {
		require.Equal(t, cifGamma, m.CIF)
		require.False(t, m.CreatedAt.IsZero(), m.CreatedRaw)
		require.True(t, m.CIFEmitent == cifGamma || m.CIFBeneficiar == cifGamma, m.Details)
		require.Len(t, m.ID, 10)
		require.Len(t, m.UploadID, 10)
	}

	tests := []struct {
		name   string
		days   int
		filter anaf.Filter
		want   int
		tip    string
	}{
		{"zile 60 all", 60, anaf.FilterAll, 7, ""},
		{"zile 60 T", 60, anaf.FilterSent, 2, anaf.TypeSent},
		{"zile 60 P", 60, anaf.FilterReceived, 5, anaf.TypeReceived},
		{"zile 60 E", 60, anaf.FilterErrors, 0, anaf.TypeErrors},
		{"zile 60 R", 60, anaf.FilterBuyerMessages, 0, ""},
		{"zile 1", 1, anaf.FilterAll, -1, ""},
		{"zile 20", 20, anaf.FilterAll, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.client.ListRecentMessages(ctx, b.token, cifGamma, tc.days, anaf.ListOptions{Filter: tc.filter})
			require.NoError(t, err)
			if tc.want >= 0 {
				require.Len(t, got, tc.want)
			}
			for _, m := range got {
				if tc.tip != "" {
					require.Equal(t, tc.tip, m.Type)
				}
				require.False(t, m.CreatedAt.Before(now.Add(-time.Duration(tc.days)*24*time.Hour)), "zile=%d: %s", tc.days, m.CreatedRaw)
			}
			// the simulator's own count of the same window
			want := 0
			for _, m := range all {
				if !m.CreatedAt.Before(now.Add(-time.Duration(tc.days)*24*time.Hour)) &&
					(tc.tip == "" || m.Type == tc.tip) && tc.filter != anaf.FilterBuyerMessages {
					want++
				}
			}
			require.Len(t, got, want)
		})
	}

	empty, err := b.client.ListRecentMessages(ctx, b.token, unknown, 60, anaf.ListOptions{})
	require.NoError(t, err, "Nu exista mesaje in ultimele 60 zile is an empty result")
	require.Empty(t, empty)
	emptyPaged, err := b.client.ListMessages(ctx, b.token, unknown, now.Add(-24*time.Hour), now)
	require.NoError(t, err)
	require.Empty(t, emptyPaged)
}

// TestListMessagesPaginated: listaMesajePaginatieFactura with a page size
// of 2 and 7 messages: every page is read (4 calls), all messages returned
// once; each filtru returns only its tip.
func TestListMessagesPaginated(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.PageSize = 2 } })
	ctx := context.Background()
	now := b.clock.Now()
	before := b.calls("listaMesajePaginatieFactura")
	msgs, err := b.client.ListMessages(ctx, b.token, cifGamma, now.Add(-59*24*time.Hour), now)
	require.NoError(t, err)
	require.Len(t, msgs, 7)
	ids(t, msgs)
	require.Equal(t, 4, b.calls("listaMesajePaginatieFactura")-before, "4 pages of 2")

	page, total, err := b.client.ListMessagesPage(ctx, b.token, cifGamma, now.Add(-59*24*time.Hour), now, 4)
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, 4, total)
	page, total, err = b.client.ListMessagesPage(ctx, b.token, cifGamma, now.Add(-59*24*time.Hour), now, 9)
	require.NoError(t, err, "past the last page is an empty page")
	require.Empty(t, page)
	require.Equal(t, 4, total)

	for _, tc := range []struct {
		f    anaf.Filter
		tip  string
		want int
	}{{anaf.FilterSent, anaf.TypeSent, 2}, {anaf.FilterReceived, anaf.TypeReceived, 5}, {anaf.FilterErrors, anaf.TypeErrors, 0}} {
		got, err := b.client.ListMessagesWithOptions(ctx, b.token, cifGamma, now.Add(-59*24*time.Hour), now, anaf.ListOptions{Filter: tc.f})
		require.NoError(t, err)
		require.Len(t, got, tc.want, string(tc.f))
		for _, m := range got {
			require.Equal(t, tc.tip, m.Type)
		}
	}
}

// TestListMessagesPaginatedDedup: a message created while the client walks
// the pages shifts every later page by one (the list is newest first), so
// page 2 repeats the last message of page 1; the client returns each
// message once and still finds all of the original seven.
func TestListMessagesPaginatedDedup(t *testing.T) {
	t.Parallel()
	var b *bundle
	var uploader *anaf.Client
	injected := false
	b = setup(t, func(o *setupOpts) {
		o.sim = func(so *anafsim.Options) { so.PageSize = 2 }
		o.client = func(c *anaf.Config) {
			uploader = anaf.New(*c)
			c.Observer = func(ci anaf.CallInfo) {
				if ci.Endpoint == "listaMesajePaginatieFactura" && ci.Outcome == "ok" && !injected {
					injected = true
					_, err := uploader.Upload(context.Background(), b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
					require.NoError(t, err)
				}
			}
		}
	})
	ctx := context.Background()
	now := b.clock.Now()
	before, err := b.client.ListRecentMessages(ctx, b.token, cifGamma, 60, anaf.ListOptions{})
	require.NoError(t, err)
	require.Len(t, before, 7)
	msgs, err := b.client.ListMessages(ctx, b.token, cifGamma, now.Add(-59*24*time.Hour), now)
	require.NoError(t, err)
	require.True(t, injected)
	got := ids(t, msgs)
	for _, m := range before {
		require.Contains(t, got, m.ID, "an original message was lost by the shift")
	}
	require.Len(t, msgs, 7, "the new message sat on page 1, already read; the repeat was dropped")
	require.Equal(t, 8, b.sim.Stats().Messages[cifGamma])
}

// TestListSimpleOver500: GenerateLoad of 520 invoices between 2 companies
// gives each 520 messages: the simple list refuses with ANAF's text
// (ErrListTooLarge), the paginated one returns all 520 over two pages.
func TestListSimpleOver500(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.noFiles = true
		o.loadMore = func(t *testing.T, s *anafsim.Server) {
			files, err := anafsim.GenerateLoad(520, 2, 7)
			require.NoError(t, err)
			n, err := s.LoadFiles(files)
			require.NoError(t, err)
			require.Equal(t, 520, n)
		}
	})
	ctx := context.Background()
	cif := anafsim.SyntheticCIFs(2)[0]
	_, err := b.client.ListRecentMessages(ctx, b.token, cif, 60, anaf.ListOptions{})
	requireANAFError(t, err, anaf.ErrListTooLarge, anaf.KindListTooLarge,
		"Lista de mesaje este mai mare decat numarul de 500 elemente permise in pagina. Folositi endpoint-ul cu paginatie.")
	now := b.clock.Now()
	before := b.calls("listaMesajePaginatieFactura")
	msgs, err := b.client.ListMessages(ctx, b.token, cif, now.Add(-59*24*time.Hour), now)
	require.NoError(t, err)
	require.Len(t, msgs, 520)
	ids(t, msgs)
	require.Equal(t, 2, b.calls("listaMesajePaginatieFactura")-before)
}

// TestListSimpleTooLargeSmallLimit: the same refusal with Options.ListLimit 3.
func TestListSimpleTooLargeSmallLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.sim = func(so *anafsim.Options) { so.ListLimit = 3 } })
	_, err := b.client.ListRecentMessages(context.Background(), b.token, cifGamma, 60, anaf.ListOptions{})
	e := requireANAFError(t, err, anaf.ErrListTooLarge, anaf.KindListTooLarge,
		"Lista de mesaje este mai mare decat numarul de 3 elemente permise in pagina. Folositi endpoint-ul cu paginatie.")
	require.False(t, anaf.IsTransient(e))
	require.Len(t, b.list(t, cifGamma, anaf.ListOptions{}), 7, "the paginated list has no cap")
}

// TestWindowNoGap: consecutive Window()s over the controllable clock leave
// no gap: a message created between two syncs (after the first window's
// end) is in the second window; nothing is lost or listed twice beyond the
// overlap.
func TestWindowNoGap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// Sync 1.
	s1, e1 := anaf.Window(time.Time{}, b.clock.Now(), 0)
	first, err := b.client.ListMessages(ctx, b.token, cifGamma, s1, e1)
	require.NoError(t, err)
	require.Len(t, first, 7)

	// An invoice for GAMMA arrives now, after e1 (= now - 1 min): it is
	// not in the first window.
	idx, err := b.client.Upload(ctx, b.token, anaf.StandardUBL, cifAlfa, b.fresh(t, "gen-01"))
	require.NoError(t, err)

	// Sync 2, 10 minutes later, from the last end.
	b.clock.Advance(10 * time.Minute)
	s2, e2 := anaf.Window(e1, b.clock.Now(), 0)
	require.Equal(t, e1, s2, "the second window starts where the first ended")
	second, err := b.client.ListMessages(ctx, b.token, cifGamma, s2, e2)
	require.NoError(t, err)
	require.Len(t, second, 1)
	require.Equal(t, idx, second[0].UploadID)
	require.Equal(t, anaf.TypeReceived, second[0].Type)
	require.Equal(t, b.clock.Now().Add(-10*time.Minute).UTC(), second[0].CreatedAt, "data_creare read in Europe/Bucharest")

	// A third sync with nothing new is empty, and a first sync 59 days in
	// still starts inside ANAF's 60 days (no "mai vechi de 60 de zile").
	b.clock.Advance(5 * time.Minute)
	s3, e3 := anaf.Window(e2, b.clock.Now(), 0)
	third, err := b.client.ListMessages(ctx, b.token, cifGamma, s3, e3)
	require.NoError(t, err)
	require.Empty(t, third)
	b.clock.Advance(59 * 24 * time.Hour)
	s4, e4 := anaf.Window(time.Time{}, b.clock.Now(), 0)
	_, err = b.client.ListMessages(ctx, b.token, cifGamma, s4, e4)
	require.NoError(t, err)
}
