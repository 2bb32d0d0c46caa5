package anaf

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingServer answers every request with resp and counts the calls.
func countingServer(t *testing.T, resp canned, mod ...func(*Config)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		resp.write(w)
	}), mod...)
	return c, &n
}

func requireLocalQuota(t *testing.T, err error, q Quota, limit int, reset time.Time) *Error {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, KindQuota, e.Kind, "%v", err)
	require.ErrorIs(t, err, ErrQuota)
	require.True(t, e.Local, "refused by the gateway, not by ANAF")
	require.Equal(t, q, e.Quota)
	require.Equal(t, limit, e.Limit)
	require.Equal(t, reset, e.ResetAt)
	require.Equal(t, reset.Sub(testNow), e.RetryAfter)
	require.Zero(t, e.HTTPStatus)
	require.Contains(t, e.Text, "The gateway's own quota accounting refused this call before contacting ANAF")
	require.Contains(t, err.Error(), "gateway's own accounting")
	return e
}

// 2026-01-15 10:00 UTC is 12:00 in Bucharest: the day resets at 22:00 UTC.
var bucharestMidnight = time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)

func TestLocalQuotaPerEndpoint(t *testing.T) {
	t.Parallel()
	zipBytes := sample(t, "oca-3828-download-error.zip")

	t.Run("DownloadTenPerIDPerDay", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: "application/zip", body: zipBytes})
		for range DefaultDownloadsPerMessagePerDay {
			_, err := c.Download(t.Context(), "tok", "3012345671")
			require.NoError(t, err)
		}
		_, err := c.Download(t.Context(), "tok", "3012345671")
		e := requireLocalQuota(t, err, QuotaDownload, 10, bucharestMidnight)
		require.Contains(t, e.Text, "download id 3012345671")
		require.False(t, IsTransient(err), "a daily quota is not transient")
		require.Equal(t, int32(10), n.Load(), "the 11th download never reached ANAF")
		// Another message has its own budget.
		_, err = c.Download(t.Context(), "tok", "3012345672")
		require.NoError(t, err)
	})

	t.Run("StatusStricterReadingTenPerIndex", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctXML, body: sample(t, "stare_in_prelucrare.xml")})
		for range 10 {
			_, err := c.Status(t.Context(), "tok", "5012345678")
			require.NoError(t, err)
		}
		_, err := c.Status(t.Context(), "tok", "5012345678")
		requireLocalQuota(t, err, QuotaStatus, 10, bucharestMidnight)
		require.Equal(t, int32(10), n.Load())
	})

	t.Run("StatusLimitConfigurable", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctXML, body: sample(t, "stare_in_prelucrare.xml")},
			func(cfg *Config) { cfg.QuotaLimits.StatusPerUploadPerDay = 100 })
		for range 11 {
			_, err := c.Status(t.Context(), "tok", "5012345678")
			require.NoError(t, err)
		}
		require.Equal(t, int32(11), n.Load())
	})

	t.Run("ListPagedPerCIF", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctJSON, body: sample(t, "paginatie_err_no_messages.json")},
			func(cfg *Config) { cfg.QuotaLimits.ListPagedPerCIFPerDay = 2 })
		require.NoError(t, callList(t.Context(), c))
		require.NoError(t, callList(t.Context(), c))
		requireLocalQuota(t, callList(t.Context(), c), QuotaListPaged, 2, bucharestMidnight)
		require.Equal(t, int32(2), n.Load())
	})

	t.Run("SimpleListPerCIF", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctJSON, body: sample(t, "lista_err_no_messages.json")},
			func(cfg *Config) { cfg.QuotaLimits.ListPerCIFPerDay = 1 })
		_, err := c.ListRecentMessages(t.Context(), "tok", "12345674", 7, ListOptions{})
		require.NoError(t, err)
		_, err = c.ListRecentMessages(t.Context(), "tok", "12345674", 7, ListOptions{})
		requireLocalQuota(t, err, QuotaList, 1, bucharestMidnight)
		_, err = c.ListRecentMessages(t.Context(), "tok", "98765438", 7, ListOptions{})
		require.NoError(t, err, "another CIF has its own budget")
		require.Equal(t, int32(2), n.Load())
		require.Equal(t, 1500, DefaultQuotaLimits().ListPerCIFPerDay)
	})

	t.Run("UploadRASPOnly", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctXML, body: sample(t, "upload_ok.xml")},
			func(cfg *Config) { cfg.QuotaLimits.RASPUploadsPerCIFPerDay = 1 })
		_, err := c.Upload(t.Context(), "tok", StandardRASP, "12345674", []byte("<header/>"))
		require.NoError(t, err)
		_, err = c.Upload(t.Context(), "tok", StandardRASP, "12345674", []byte("<header/>"))
		requireLocalQuota(t, err, QuotaUploadRASP, 1, bucharestMidnight)
		require.NotErrorIs(t, err, ErrOutcomeUnknown, "nothing was sent")
		for range 3 { // invoices: no daily limit
			_, err = c.Upload(t.Context(), "tok", StandardUBL, "12345674", []byte("<Invoice/>"))
			require.NoError(t, err)
		}
		require.Equal(t, int32(4), n.Load())
	})

	t.Run("PerMinuteOverall", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: ctText, body: []byte("Hello")},
			func(cfg *Config) { cfg.QuotaLimits.PerMinute = 3 })
		for range 3 {
			require.NoError(t, callHello(t.Context(), c))
		}
		err := callHello(t.Context(), c)
		e := requireLocalQuota(t, err, QuotaRate, 3, testNow.Add(time.Minute))
		require.Contains(t, e.Text, "3 API calls per minute in all")
		require.True(t, IsTransient(err), "the per-minute limit passes: Retry waits for it")
		require.Equal(t, int32(3), n.Load())
	})

	t.Run("DisabledPerCounter", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: "application/zip", body: zipBytes},
			func(cfg *Config) { cfg.QuotaLimits.DownloadsPerMessagePerDay = -1 })
		for range 12 {
			_, err := c.Download(t.Context(), "tok", "1")
			require.NoError(t, err)
		}
		require.Equal(t, int32(12), n.Load())
	})

	t.Run("UnlimitedQuota", func(t *testing.T) {
		t.Parallel()
		c, n := countingServer(t, canned{ctype: "application/zip", body: zipBytes},
			func(cfg *Config) { cfg.Quota = UnlimitedQuota; cfg.QuotaLimits.PerMinute = 1 })
		for range 12 {
			_, err := c.Download(t.Context(), "tok", "1")
			require.NoError(t, err)
		}
		require.Equal(t, int32(12), n.Load())
	})

	t.Run("OAuthNotCounted", func(t *testing.T) {
		t.Parallel()
		c, _ := countingServer(t, canned{ctype: ctJSON, body: sample(t, "oauth_token_response.json")},
			func(cfg *Config) { cfg.QuotaLimits.PerMinute = 1 })
		for range 3 {
			_, err := c.Refresh(t.Context(), "rt")
			require.NoError(t, err)
		}
	})
}

func TestLocalQuotaIsDistinguishableFromANAFs(t *testing.T) {
	t.Parallel()
	c := cannedClient(t, canned{ctype: ctJSON, body: sample(t, "descarcare_err_daily_limit.json")})
	_, err := c.Download(t.Context(), "tok", "3012345671")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, KindQuota, e.Kind)
	require.False(t, e.Local, "ANAF's own refusal")
	require.Equal(t, "S-au facut deja 10 descarcari de mesaj in cursul zilei", e.Text)
	require.Equal(t, bucharestMidnight, e.ResetAt)
	require.Equal(t, 200, e.HTTPStatus)
}

func TestQuotaDayBoundary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		now        time.Time
		start, end time.Time
	}{
		// 23:30 Bucharest (EET) on Jan 15 is still Jan 15.
		{"BeforeLocalMidnight", time.Date(2026, 1, 15, 21, 30, 0, 0, time.UTC),
			time.Date(2026, 1, 14, 22, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)},
		// 00:30 Bucharest on Jan 16 while UTC still says Jan 15.
		{"AfterLocalMidnight", time.Date(2026, 1, 15, 22, 30, 0, 0, time.UTC),
			time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC), time.Date(2026, 1, 16, 22, 0, 0, 0, time.UTC)},
		// Spring forward: 29 March 2026 has 23 hours.
		{"ShortDSTDay", time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 21, 0, 0, 0, time.UTC)},
		// Fall back: 25 October 2026 has 25 hours.
		{"LongDSTDay", time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 24, 21, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 22, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New(Config{})
			w := c.window(c.useDownload("1"), tt.now)
			require.Equal(t, tt.start, w.Start)
			require.Equal(t, tt.end, w.End)
		})
	}
	t.Run("ConfigurableLocation", func(t *testing.T) {
		t.Parallel()
		c := New(Config{QuotaLimits: QuotaLimits{DayLocation: time.UTC}})
		w := c.window(c.useDownload("1"), testNow)
		require.Equal(t, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), w.Start)
		require.Equal(t, time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC), w.End)
	})
	t.Run("DailyCounterResetsNextDay", func(t *testing.T) {
		t.Parallel()
		now := testNow
		var mu sync.Mutex
		c, n := countingServer(t, canned{ctype: "application/zip", body: sample(t, "oca-3828-download-error.zip")}, func(cfg *Config) {
			cfg.QuotaLimits.DownloadsPerMessagePerDay = 1
			cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		})
		_, err := c.Download(t.Context(), "tok", "1")
		require.NoError(t, err)
		_, err = c.Download(t.Context(), "tok", "1")
		require.ErrorIs(t, err, ErrQuota)
		mu.Lock()
		now = bucharestMidnight // 00:00 in Bucharest
		mu.Unlock()
		_, err = c.Download(t.Context(), "tok", "1")
		require.NoError(t, err)
		require.Equal(t, int32(2), n.Load())
	})
}

func TestMemoryQuota(t *testing.T) {
	t.Parallel()
	w := QuotaWindow{Start: testNow, End: testNow.Add(time.Minute)}
	t.Run("ConcurrentNeverExceeds", func(t *testing.T) {
		t.Parallel()
		m := NewMemoryQuota()
		var granted atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 10 {
					ok, err := m.Reserve(t.Context(), "k", 25, w)
					if err == nil && ok {
						granted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(25), granted.Load())
		require.Equal(t, 25, m.Used("k"))
	})
	t.Run("OlderWindowDoesNotReset", func(t *testing.T) {
		t.Parallel()
		m := NewMemoryQuota()
		later := QuotaWindow{Start: w.End, End: w.End.Add(time.Minute)}
		ok, _ := m.Reserve(t.Context(), "k", 1, later)
		require.True(t, ok)
		ok, _ = m.Reserve(t.Context(), "k", 1, w)
		require.False(t, ok)
		ok, _ = m.Reserve(t.Context(), "k", 0, later)
		require.False(t, ok, "a zero limit allows nothing")
	})
	t.Run("SweepsEndedWindows", func(t *testing.T) {
		t.Parallel()
		m := NewMemoryQuota()
		for i := range memorySweepAt {
			_, _ = m.Reserve(t.Context(), string(rune('a'+i%26))+time.Duration(i).String(), 1, w)
		}
		later := QuotaWindow{Start: w.End, End: w.End.Add(time.Minute)}
		_, _ = m.Reserve(t.Context(), "new", 1, later)
		require.Len(t, m.counters, 1)
	})
	t.Run("SharedBetweenClients", func(t *testing.T) {
		t.Parallel()
		shared := NewMemoryQuota()
		mod := func(cfg *Config) { cfg.Quota = shared; cfg.QuotaLimits.DownloadsPerMessagePerDay = 1 }
		zipBytes := sample(t, "oca-3828-download-error.zip")
		a, _ := countingServer(t, canned{ctype: "application/zip", body: zipBytes}, mod)
		b, _ := countingServer(t, canned{ctype: "application/zip", body: zipBytes}, mod)
		_, err := a.Download(t.Context(), "tok", "1")
		require.NoError(t, err)
		_, err = b.Download(t.Context(), "tok", "1")
		require.ErrorIs(t, err, ErrQuota)
	})
}

func TestQuotaTakeFuncAndLimiterFailure(t *testing.T) {
	t.Parallel()
	var keys []string
	take := QuotaTakeFunc(func(_ context.Context, key string, limit int, start, end time.Time) (int, bool, error) {
		keys = append(keys, key)
		require.Equal(t, end.Sub(start) <= 25*time.Hour, true)
		return 1, true, nil
	})
	c, _ := countingServer(t, canned{ctype: ctXML, body: sample(t, "stare_ok.xml")}, func(cfg *Config) { cfg.Quota = take })
	_, err := c.Status(t.Context(), "tok", "5012345678")
	require.NoError(t, err)
	require.Equal(t, []string{"rate", "stareMesaj|5012345678"}, keys)

	broken := QuotaTakeFunc(func(context.Context, string, int, time.Time, time.Time) (int, bool, error) {
		return 0, false, errors.New("database is down")
	})
	c, n := countingServer(t, canned{ctype: ctXML, body: sample(t, "stare_ok.xml")}, func(cfg *Config) { cfg.Quota = broken })
	_, err = c.Status(t.Context(), "tok", "5012345678")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, KindTransient, e.Kind)
	require.True(t, e.Local)
	require.ErrorContains(t, err, "database is down")
	require.Zero(t, n.Load(), "without its accounting the client does not call ANAF")
}

func TestRetryHonoursLocalRateQuota(t *testing.T) {
	t.Parallel()
	// The per-minute counter is full: Retry must wait until the minute
	// ends (RetryAfter), which is past the context deadline, so it stops.
	c, n := countingServer(t, canned{ctype: ctText, body: []byte("Hello")}, func(cfg *Config) {
		cfg.QuotaLimits.PerMinute = 1
		cfg.Retry = &RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}
	})
	require.NoError(t, callHello(t.Context(), c))
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	err := callHello(ctx, c)
	require.ErrorIs(t, err, ErrQuota)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, int32(1), n.Load())
}
