package securitytest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// registerForm is a valid registration of email.
func registerForm(email string) url.Values {
	const pw = "a registration password 42"
	return url.Values{"email": {email}, "password": {pw}, "confirm": {pw}}
}

// comparable drops the headers that differ between any two answers (and
// the session cookie, whose value is each browser's own; checked apart).
func comparable(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Date")
	h.Del("X-Request-Id")
	h.Del("Set-Cookie")
	return h
}

// TestRegistrationSameAnswer proves that registration does not reveal
// which e-mails have accounts: a new address and an existing one (approved
// or pending, however capitalised) get the same status (303 to
// /register/done), the same headers, no cookie and the same body, with or
// without a session already open; nothing changes for the existing
// account; the new one is pending and, once logged in, sees /pending.
func TestRegistrationSameAnswer(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "reg", nil)
	// send registers email from a new browser. Without a session the
	// answer sets no cookie; with one (an anonymous visitor who chose a
	// language) it only refreshes that same session, which stays logged out.
	send := func(email string, withSession bool) response {
		t.Helper()
		b := s.browser(t)
		before := ""
		if withSession {
			b.get("/login?lang=en")
			before = b.sessionCookie()
			require.NotEmpty(t, before)
		}
		r := b.post("/register", registerForm(email))
		if withSession {
			require.Equal(t, before, b.sessionCookie(), "the session token is not renewed: no login")
			require.Equal(t, "/login", b.get("/pending").Location, "not logged in")
		} else {
			require.Empty(t, r.Header.Values("Set-Cookie"), "no cookie at all")
		}
		return r
	}
	for i, withSession := range []bool{false, true} {
		fresh := send(fmt.Sprintf("fresh%d-%s@example.test", i, w.tag), withSession)
		require.Equal(t, http.StatusSeeOther, fresh.Status, fresh.Body)
		require.Equal(t, "/register/done", fresh.Location)
		for _, existing := range []string{w.userA.Email, w.admin.Email, w.pending.Email, "A-" + w.tag + "@Example.Test"} {
			r := send(existing, withSession)
			require.Equal(t, len(fresh.Header.Values("Set-Cookie")), len(r.Header.Values("Set-Cookie")), existing)
			require.Equal(t, fresh.Status, r.Status, existing)
			require.Equal(t, fresh.Location, r.Location, existing)
			require.Equal(t, comparable(fresh.Header), comparable(r.Header), existing)
			require.Equal(t, fresh.Body, r.Body, existing)
		}
	}
	for _, u := range []*store.User{w.userA, w.admin, w.pending} {
		got, err := s.st.UserByID(t.Context(), u.ID)
		require.NoError(t, err)
		require.Equal(t, u.PasswordHash, got.PasswordHash, "nothing changes for an existing account")
		require.Equal(t, u.Status, got.Status)
		require.Equal(t, u.IsAdmin, got.IsAdmin)
	}
	// The owner of an existing account still logs in with their password.
	s.browser(t).login(w.userA.Email, "/")

	// The page says what happens next, in both languages; logging in, the
	// new account sees that it waits for approval.
	b := s.browser(t)
	done := b.get("/register/done")
	require.Equal(t, http.StatusOK, done.Status)
	require.Contains(t, done.Body, "un administrator va analiza cererea")
	require.Contains(t, b.get("/register/done?lang=en").Body, "an administrator will review the request")
	r := b.post("/login", url.Values{"email": {"fresh0-" + w.tag + "@example.test"}, "password": {registerForm("").Get("password")}})
	require.Equal(t, "/pending", r.Location)
	require.Equal(t, http.StatusOK, b.get("/pending").Status)

	// Form errors still say what is wrong with the form (422).
	for _, f := range []url.Values{
		{},
		{"email": {"not an e-mail"}, "password": {"long enough password"}, "confirm": {"long enough password"}},
		{"email": {"x-" + w.tag + "@example.test"}, "password": {"short"}, "confirm": {"short"}},
	} {
		require.Equal(t, http.StatusUnprocessableEntity, s.browser(t).post("/register", f).Status, f)
	}
}

// TestRegistrationTiming proves that registering an existing e-mail takes
// as long as registering a new one: the password is hashed (argon2id at
// production cost, 64 MiB, 3 passes) in both cases. Each round sends a new
// and an existing registration back to back (in alternating order), so
// load from other processes on the machine hits both alike; the median of
// the paired differences must be within 25 % of a registration's median
// time, while the hash alone takes more than that share, so an answer
// without it would fall outside. Noise on a shared machine only ever adds
// time, so an attempt outside the tolerance is measured again, up to three
// times; a missing hash fails every attempt.
//
// Not parallel: it measures time, before the parallel tests of the package
// start. The stack hashes at production cost (productionPasswordCost).
func TestRegistrationTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test: skipped with -short")
	}
	s := startStack(t, testDialect(), map[string]string{productionPasswordCost: "1"})
	w := s.seed(t, "timing", nil)
	existing := []string{w.userA.Email, w.admin.Email, w.pending.Email}
	register := func(email string) time.Duration {
		t.Helper()
		b := s.browser(t)
		start := time.Now()
		r := b.post("/register", registerForm(email))
		d := time.Since(start)
		require.Equal(t, http.StatusSeeOther, r.Status)
		return d
	}
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	register("warm-up-" + w.tag + "@example.test")
	const rounds, tolerance = 16, 0.25
	var fresh int
	for attempt := 1; ; attempt++ {
		var newTimes, existingTimes, diffs, hashTimes []time.Duration
		for i := range rounds {
			fresh++
			newEmail := fmt.Sprintf("timing%d-%s@example.test", fresh, w.tag)
			old := existing[i%len(existing)]
			var dn, de time.Duration
			if i%2 == 0 {
				dn, de = register(newEmail), register(old)
			} else {
				de, dn = register(old), register(newEmail)
			}
			newTimes, existingTimes, diffs = append(newTimes, dn), append(existingTimes, de), append(diffs, de-dn)
			start := time.Now()
			_, err := auth.HashPassword("a registration password 42")
			require.NoError(t, err)
			hashTimes = append(hashTimes, time.Since(start))
		}
		mNew, mExisting, mDiff, mHash := median(newTimes), median(existingTimes), median(diffs), median(hashTimes)
		rel := float64(mDiff) / float64(mNew)
		t.Logf("attempt %d, %d rounds: median new %v, existing %v, paired difference %v (%+.1f %%); argon2id hash alone %v",
			attempt, rounds, mNew.Round(time.Microsecond), mExisting.Round(time.Microsecond), mDiff.Round(time.Microsecond),
			100*rel, mHash.Round(time.Microsecond))
		require.Greater(t, float64(mHash)/float64(mNew), tolerance,
			"the hash is the larger share of a registration, so an answer without it would fall outside the tolerance")
		if rel >= -tolerance && rel <= tolerance {
			return
		}
		if attempt == 3 {
			t.Fatalf("an existing e-mail answers %+.1f %% faster or slower than a new one (tolerance ±%.0f %%)", 100*rel, 100*tolerance)
		}
	}
}

// TestLoginThrottleSharedByReplicas proves that two gateway instances on
// one database (two replicas behind a load balancer) share the login
// failure count: failures made through either count on both.
func TestLoginThrottleSharedByReplicas(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			one := startStack(t, d, nil)
			two := startStack(t, d, map[string]string{"DATABASE_URL": one.env.Cfg.DatabaseURL})
			require.NotEqual(t, one.url, two.url)
			w := one.seed(t, "replicas-"+string(d), nil)
			for i := range 10 { // 5 failures through each replica
				s := one
				if i%2 == 1 {
					s = two
				}
				r := s.browser(t).post("/login", url.Values{"email": {w.userA.Email}, "password": {"nope nope nope"}})
				require.Equal(t, http.StatusUnauthorized, r.Status, i)
			}
			n, err := two.st.CountLoginFailures(t.Context())
			require.NoError(t, err)
			require.EqualValues(t, 10, n)
			for _, s := range []*stack{one, two} {
				r := s.browser(t).post("/login", url.Values{"email": {w.userA.Email}, "password": {password}})
				require.Equal(t, http.StatusTooManyRequests, r.Status, "the 10 failures count on every replica")
			}
		})
	}
}
