package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/web"
)

// doors is one database reached by both the command line and the web
// pages, to prove they share one use case: same checks, same audit rows.
type doors struct {
	*runner
	st  *store.Store
	web *http.Client
	url string
}

const doorsPassword = "parola-lunga-1"

func setupDoors(t *testing.T) *doors {
	t.Helper()
	r := newRunner(t)
	code, _, errOut := r.run("user", "create", "--email", "ana@example.ro", "--password", doorsPassword, "--admin")
	require.Equal(t, 0, code, errOut)
	st, err := store.Open(context.Background(), r.env["DATABASE_URL"], store.PoolConfig{MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	sessions := scs.New()
	sessions.Store = memstore.New()
	h, err := web.New(web.Deps{Gateway: &gateway.Service{Store: st}, Sessions: sessions, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(sessions.LoadAndSave(h))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	d := &doors{runner: r, st: st, url: srv.URL, web: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	require.Equal(t, http.StatusSeeOther, d.post(t, "/login", url.Values{"email": {"ana@example.ro"}, "password": {doorsPassword}}))
	return d
}

func (d *doors) post(t *testing.T, path string, form url.Values) int {
	t.Helper()
	resp, err := d.web.PostForm(d.url+path, form)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// audits returns the audit events of an action, oldest first.
func (d *doors) audits(t *testing.T, action string) []store.AuditEvent {
	t.Helper()
	all, err := d.st.AuditEvents(t.Context(), 1000)
	require.NoError(t, err)
	var out []store.AuditEvent
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Action == action {
			out = append(out, all[i])
		}
	}
	return out
}

// TestAddCompanyDoors: adding a company with its owner is one use case
// from the web and the CLI: atomic (no company without its owner after a
// failure while adding the owner) and audited in the same row shape.
func TestAddCompanyDoors(t *testing.T) {
	t.Parallel()
	d := setupDoors(t)
	ctx := t.Context()

	// Inject a failure at the owner's membership, inside the transaction.
	_, err := d.st.DB().ExecContext(ctx, `CREATE TRIGGER fail_owner BEFORE INSERT ON memberships
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
	require.NoError(t, err)

	require.Equal(t, http.StatusInternalServerError, d.post(t, "/companies", url.Values{"cif": {"RO12345674"}, "name": {"ALFA SOFT SRL"}}))
	code, _, errOut := d.run("company", "add", "RO23456783", "--name", "BETA SRL", "--owner", "ana@example.ro")
	require.Equal(t, 1, code, errOut)
	require.Contains(t, errOut, "injected failure")
	for _, c := range []string{"12345674", "23456783"} {
		_, err := d.st.CompanyByCIF(ctx, c)
		require.True(t, errors.Is(err, store.ErrNotFound), "no ownerless company %s after the failure: %v", c, err)
	}
	require.Empty(t, d.audits(t, store.ActionCompanyCreate), "nothing audited for what was not done")

	_, err = d.st.DB().ExecContext(ctx, `DROP TRIGGER fail_owner`)
	require.NoError(t, err)
	require.Equal(t, http.StatusSeeOther, d.post(t, "/companies", url.Values{"cif": {"RO12345674"}, "name": {"ALFA SOFT SRL"}}))
	code, _, errOut = d.run("company", "add", "RO23456783", "--name", "BETA SRL", "--owner", "ana@example.ro")
	require.Equal(t, 0, code, errOut)

	ana, err := d.st.UserByEmail(ctx, "ana@example.ro")
	require.NoError(t, err)
	events := d.audits(t, store.ActionCompanyCreate)
	require.Len(t, events, 2)
	for i, want := range []struct{ cif, name, suffix string }{{"12345674", "ALFA SOFT SRL", ""}, {"23456783", "BETA SRL", " (cli)"}} {
		c, err := d.st.CompanyByCIF(ctx, want.cif)
		require.NoError(t, err)
		m, err := d.st.MembershipOf(ctx, c.ID, ana.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, m.Role)
		require.True(t, m.Consent)

		e := events[i]
		require.Equal(t, store.TargetCompany(want.cif), e.Target)
		require.Equal(t, want.name+"; owner=ana@example.ro"+want.suffix, e.Details)
	}
	require.NotNil(t, events[0].ActorID, "the web names its user")
	require.Nil(t, events[1].ActorID, "the operator at the command line is nobody's account")
}

// TestAPIKeyDoors: API keys made and revoked on the web and at the
// command line are audited in one format.
func TestAPIKeyDoors(t *testing.T) {
	t.Parallel()
	d := setupDoors(t)
	ctx := t.Context()
	code, _, errOut := d.run("company", "add", "RO12345674", "--name", "ALFA SOFT SRL", "--owner", "ana@example.ro")
	require.Equal(t, 0, code, errOut)
	c, err := d.st.CompanyByCIF(ctx, "12345674")
	require.NoError(t, err)
	id := strconv.FormatInt(c.ID, 10)

	require.Equal(t, http.StatusCreated, d.post(t, "/companies/"+id+"/keys", url.Values{"name": {"web key"}, "scope": {"write"}}))
	code, out, errOut := d.run("apikey", "create", "--company", "RO12345674", "--name", "cli key", "--scope", "read")
	require.Equal(t, 0, code, errOut)
	require.NotEmpty(t, strings.TrimSpace(out))

	keys, err := d.st.APIKeys(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	byName := map[string]store.APIKey{}
	for _, k := range keys {
		byName[k.Name] = k
	}
	webKey, cliKey := byName["web key"], byName["cli key"]

	require.Equal(t, http.StatusSeeOther, d.post(t, "/companies/"+id+"/keys/"+strconv.FormatInt(webKey.ID, 10)+"/revoke", nil))
	code, _, errOut = d.run("apikey", "revoke", "--company", "RO12345674", strconv.FormatInt(cliKey.ID, 10))
	require.Equal(t, 0, code, errOut)

	shape := regexp.MustCompile(`^company:12345674 prefix=\S+ scope=(read|write) name="[^"]+"( \(cli\))?$`)
	for _, action := range []string{store.ActionAPIKeyCreate, store.ActionAPIKeyRevoke} {
		events := d.audits(t, action)
		require.Len(t, events, 2, action)
		web, cli := events[0], events[1]
		require.Equal(t, store.TargetKey(webKey.ID), web.Target, action)
		require.Equal(t, store.TargetKey(cliKey.ID), cli.Target, action)
		require.Equal(t, `company:12345674 prefix=`+webKey.Prefix+` scope=write name="web key"`, web.Details, action)
		require.Equal(t, `company:12345674 prefix=`+cliKey.Prefix+` scope=read name="cli key" (cli)`, cli.Details, action)
		require.Regexp(t, shape, web.Details)
		require.Regexp(t, shape, cli.Details)
	}
}

// TestUserAdminDoors: approving and rejecting users on the admin pages and
// at the command line are audited in one format.
func TestUserAdminDoors(t *testing.T) {
	t.Parallel()
	d := setupDoors(t)
	ctx := t.Context()
	users := map[string]*store.User{}
	for _, email := range []string{"web@example.ro", "cli@example.ro"} {
		u, err := d.st.CreateUser(ctx, email, "x", false, store.UserPending)
		require.NoError(t, err)
		users[email] = u
	}
	web, cli := users["web@example.ro"], users["cli@example.ro"]
	for _, step := range []struct{ action, path, cmd string }{
		{store.ActionUserReject, "reject", "reject"},
		{store.ActionUserApprove, "approve", "approve"},
	} {
		require.Equal(t, http.StatusSeeOther, d.post(t, "/admin/users/"+strconv.FormatInt(web.ID, 10)+"/"+step.path, nil))
		code, _, errOut := d.run("user", step.cmd, cli.Email)
		require.Equal(t, 0, code, errOut)
		events := d.audits(t, step.action)
		require.Len(t, events, 2, step.action)
		require.Equal(t, store.TargetUser(web.ID), events[0].Target)
		require.Equal(t, "email=web@example.ro", events[0].Details)
		require.Equal(t, store.TargetUser(cli.ID), events[1].Target)
		require.Equal(t, "email=cli@example.ro (cli)", events[1].Details)
	}
	for _, u := range []*store.User{web, cli} {
		got, err := d.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, store.UserApproved, got.Status)
	}
}
