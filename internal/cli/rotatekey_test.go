package cli

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestRotateKey proves `efactura rotate-key`: secrets sealed under an old
// key are re-encrypted under the newest one (same plaintext), secrets
// already under it are left alone, the old key can then be dropped, and a
// keyring that cannot open a secret changes nothing.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	oldKey, newKey := config.NewEncryptionKey("old"), config.NewEncryptionKey("new")
	r.env["EFACTURA_ENCRYPTION_KEY"] = oldKey
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)

	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	oldRing, err := secretbox.Parse(oldKey)
	require.NoError(t, err)
	seal := func(s string) []byte {
		ct, err := oldRing.Encrypt([]byte(s))
		require.NoError(t, err)
		return ct
	}
	require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "cid", ClientSecretEnc: seal("client-secret"), RedirectURI: "https://gw.example/anaf/callback"}))
	var users []int64
	for i, email := range []string{"a@example.test", "b@example.test"} {
		u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
		require.NoError(t, err)
		users = append(users, u.ID)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: seal("access-" + email),
			RefreshTokenEnc: seal("refresh-" + email), ExpiresAt: time.Now().Add(time.Duration(i+1) * time.Hour), Status: "connected"}))
	}

	// A keyring without the old key cannot open them: an error, nothing changed.
	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey
	code, _, errOut = r.run("rotate-key")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "nothing was changed")
	require.Contains(t, errOut, `5 of 5 secrets at rest (ANAF tokens, the ANAF client secret) cannot be decrypted with EFACTURA_ENCRYPTION_KEY: 5 under key "old", which EFACTURA_ENCRYPTION_KEY does not hold`)
	require.Contains(t, errOut, "Put the key(s) back")
	code, _, errOut = r.run("rotate-key", "--dry-run")
	require.Equal(t, 1, code, "a dry run refuses too")
	require.Contains(t, errOut, `5 under key "old"`)
	app, err := st.ANAFApp(ctx)
	require.NoError(t, err)
	kid, err := secretbox.KIDOf(app.ClientSecretEnc)
	require.NoError(t, err)
	require.Equal(t, "old", kid)

	// Newest first, the old one still there: everything moves to "new".
	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey + "," + oldKey
	code, out, errOut := r.run("rotate-key", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "5 secrets, 5 would be re-encrypted")
	code, out, errOut = r.run("rotate-key")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "5 secrets, 5 re-encrypted with key \"new\"")
	code, out, _ = r.run("rotate-key")
	require.Equal(t, 0, code)
	require.Contains(t, out, "5 secrets, 0 re-encrypted", "idempotent")

	// Only the new key is needed now.
	newRing, err := secretbox.Parse(newKey)
	require.NoError(t, err)
	open := func(ct []byte) string {
		k, err := secretbox.KIDOf(ct)
		require.NoError(t, err)
		require.Equal(t, "new", k)
		pt, err := newRing.Decrypt(ct)
		require.NoError(t, err)
		return string(pt)
	}
	app, err = st.ANAFApp(ctx)
	require.NoError(t, err)
	require.Equal(t, "client-secret", open(app.ClientSecretEnc))
	for i, uid := range users {
		tok, err := st.ANAFTokenByUser(ctx, uid)
		require.NoError(t, err)
		email := []string{"a@example.test", "b@example.test"}[i]
		require.Equal(t, "access-"+email, open(tok.AccessTokenEnc))
		require.Equal(t, "refresh-"+email, open(tok.RefreshTokenEnc))
	}
}

// TestKeygenFreshKID: every `efactura keygen` names its key with a new kid,
// so the documented rotation (the new key first, the old ones after it)
// never clashes with a kid in use (issue 15 item 11).
func TestKeygenFreshKID(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	keygen := func() string {
		code, out, errOut := r.run("keygen")
		require.Equal(t, 0, code, errOut)
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, "EFACTURA_ENCRYPTION_KEY="); ok {
				return v
			}
		}
		t.Fatalf("no EFACTURA_ENCRYPTION_KEY line in %q", out)
		return ""
	}
	first, second := keygen(), keygen()
	kidRe := regexp.MustCompile(`^k[0-9]{8}-[0-9a-f]{6}:`)
	require.Regexp(t, kidRe, first)
	require.Regexp(t, kidRe, second)
	ring, err := secretbox.Parse(second + "," + first)
	require.NoError(t, err, "the new key goes first, the old one after it")
	require.Len(t, ring.KIDs(), 2)
	require.NotEqual(t, ring.KIDs()[0], ring.KIDs()[1])
}

// sealed stores, with the keyring spec, the ANAF client secret and one
// connected token per e-mail; it returns the store (closed at cleanup).
func sealed(t *testing.T, r *runner, spec string, emails ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	ring, err := secretbox.Parse(spec)
	require.NoError(t, err)
	seal := func(s string) []byte {
		ct, err := ring.Encrypt([]byte(s))
		require.NoError(t, err)
		return ct
	}
	if _, err := st.ANAFApp(ctx); errors.Is(err, store.ErrNotFound) {
		require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "cid", ClientSecretEnc: seal("client-secret")}))
	}
	for _, email := range emails {
		u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: seal("access-" + email),
			RefreshTokenEnc: seal("refresh-" + email), ExpiresAt: time.Now().Add(time.Hour), Status: "connected"}))
	}
	return st
}

// TestRotateKeyReplacedUnderSameKID: a key replaced under the kid of the
// key the secrets were sealed with is an error naming the kid, dry run
// or not — never "0 would be re-encrypted" (issue 15 item 11).
func TestRotateKeyReplacedUnderSameKID(t *testing.T) {
	t.Parallel()
	eachDB(t, testRotateKeyReplacedUnderSameKID)
}

// eachDB runs fn as "SQLite" and "PostgreSQL" subtests, with the runner's
// DATABASE_URL on a fresh database of each.
func eachDB(t *testing.T, fn func(t *testing.T, r *runner)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			r := newRunner(t)
			if d == store.Postgres {
				_, r.env["DATABASE_URL"] = storetest.Fresh(t, d)
			}
			fn(t, r)
		})
	}
}

func testRotateKeyReplacedUnderSameKID(t *testing.T, r *runner) {
	orig, replaced := config.NewEncryptionKey("k1"), config.NewEncryptionKey("k1")
	r.env["EFACTURA_ENCRYPTION_KEY"] = orig
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	sealed(t, r, orig, "a@example.test")

	r.env["EFACTURA_ENCRYPTION_KEY"] = replaced
	for _, args := range [][]string{{"rotate-key", "--dry-run"}, {"rotate-key"}} {
		code, out, errOut := r.run(args...)
		require.Equal(t, 1, code, "%v: %s", args, out)
		require.Contains(t, errOut, `3 of 3 secrets at rest`)
		require.Contains(t, errOut, `3 under key "k1", whose value in EFACTURA_ENCRYPTION_KEY is not the one they were encrypted with`)
	}
	r.env["EFACTURA_ENCRYPTION_KEY"] = orig
	code, out, errOut := r.run("rotate-key", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "3 secrets, 0 would be re-encrypted")
}

// TestRotateKeyForgetUndecryptable: when a key is lost for good, the
// operator deletes what it sealed (those users connect again), audited;
// the rest is kept and rotates as usual; the start-up check passes again.
func TestRotateKeyForgetUndecryptable(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	lost, kept := config.NewEncryptionKey("lost"), config.NewEncryptionKey("kept")
	r.env["EFACTURA_ENCRYPTION_KEY"] = kept
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	st := sealed(t, r, lost, "a@example.test", "b@example.test")
	sealed(t, r, kept, "c@example.test")

	code, _, errOut = r.run("rotate-key", "--forget-undecryptable", "--dry-run")
	require.Equal(t, 2, code, errOut)
	code, out, errOut := r.run("rotate-key", "--forget-undecryptable")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "2 ANAF connections deleted (their users connect to ANAF again); ANAF client secret deleted")
	require.Contains(t, out, "2 secrets, 0 re-encrypted")
	ctx := context.Background()
	_, err := st.ANAFApp(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	events, err := st.AuditEvents(ctx, 5)
	require.NoError(t, err)
	require.Equal(t, store.ActionSecretsForgotten, events[0].Action)
	c, err := st.UserByEmail(ctx, "c@example.test")
	require.NoError(t, err)
	_, err = st.ANAFTokenByUser(ctx, c.ID)
	require.NoError(t, err, "what decrypts is kept")
}

// TestStartRefusesUndecryptableSecrets: the start of `efactura serve`
// refuses a keyring that cannot open the secrets at rest, by count and
// kid; with the key back it starts and gives back the connections marked
// key_missing meanwhile (issue 15 item 11).
func TestStartRefusesUndecryptableSecrets(t *testing.T) {
	t.Parallel()
	eachDB(t, testStartRefusesUndecryptableSecrets)
}

func testStartRefusesUndecryptableSecrets(t *testing.T, r *runner) {
	oldKey, newKey := config.NewEncryptionKey("k20260101-000001"), config.NewEncryptionKey("k20260102-000002")
	r.env["EFACTURA_ENCRYPTION_KEY"] = oldKey
	r.env["EFACTURA_ADDR"] = "127.0.0.1:0"
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	st := sealed(t, r, oldKey, "a@example.test")
	ctx := context.Background()
	u, err := st.UserByEmail(ctx, "a@example.test")
	require.NoError(t, err)
	changed, err := st.SetANAFTokenStatusIf(ctx, u.ID, "connected", "key_missing")
	require.NoError(t, err)
	require.True(t, changed)

	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey // the old key forgotten
	code, _, errOut = r.run("serve")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `3 of 3 secrets at rest (ANAF tokens, the ANAF client secret) cannot be decrypted with EFACTURA_ENCRYPTION_KEY: 3 under key "k20260101-000001", which EFACTURA_ENCRYPTION_KEY does not hold`)

	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey + "," + oldKey
	cfg, err := config.Load(func(k string) string { return r.env[k] })
	require.NoError(t, err)
	e, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler), app.OpenOptions{})
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.CheckSecretsAtStart(ctx))
	tok, err := st.ANAFTokenByUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "connected", tok.Status, "the key is back: the connection works again")
}
