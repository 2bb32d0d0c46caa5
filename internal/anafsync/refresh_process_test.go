package anafsync_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// Environment of the child process of TestRefreshAcrossProcesses (this test
// binary run again with -test.run=^TestRefreshChildProcess$).
const (
	envChildDB      = "EFACTURA_REFRESH_CHILD_DB"
	envChildSim     = "EFACTURA_REFRESH_CHILD_SIM"
	envChildKey     = "EFACTURA_REFRESH_CHILD_KEY"
	envChildUser    = "EFACTURA_REFRESH_CHILD_USER"
	envChildStart   = "EFACTURA_REFRESH_CHILD_START"   // a file: the child refreshes once it exists
	envChildCompany = "EFACTURA_REFRESH_CHILD_COMPANY" // set: sync this company instead of refreshing
)

// TestRefreshAcrossProcesses: two processes refresh the same user's ANAF
// token at the same moment while ANAF (the simulator, which invalidates a
// refresh token once used) answers slowly: "refresh", two refresh_tokens
// runs; "sync", two `efactura sync` processes syncing two companies that
// share the member whose token is due. Exactly one refresh reaches ANAF,
// both processes succeed, and the connection stays connected.
func TestRefreshAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"refresh", "sync"} {
		for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
			t.Run(mode+"/"+string(d), func(t *testing.T) {
				t.Parallel()
				refreshAcrossProcesses(t, d, mode == "sync")
			})
		}
	}
}

func refreshAcrossProcesses(t *testing.T, d store.Dialect, syncs bool) {
	st, dbURL := storetest.Fresh(t, d)
	require.NoError(t, st.Migrate(t.Context()))
	opts := options{}
	if syncs {
		// The children run on the real clock: so does the simulator.
		opts = options{invoices: 6, clock: time.Now}
	}
	b := setup(t, st, opts)
	spec := b.rekey(t)
	var companies [2]int64
	if syncs {
		var cifs []string
		for c := range b.sim.CIFs() {
			cifs = append(cifs, c)
		}
		require.GreaterOrEqual(t, len(cifs), 2)
		for i := range companies {
			companies[i] = b.company(t, cifs[i]).ID
		}
		_, access, refresh := b.storedToken(t)
		b.setToken(t, access, refresh, time.Now().Add(time.Hour)) // due for a refresh before use
	}
	_, _, oldRefresh := b.storedToken(t)
	calls := b.sim.Stats().Calls["token"]
	// Both refreshes would be in flight at ANAF together without the lock.
	require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "token", Kind: anafsim.FaultSlow, Count: 2, DelayMS: 400}))

	start := filepath.Join(t.TempDir(), "start")
	var children [2]*exec.Cmd
	var outs [2]*strings.Builder
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRefreshChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envChildDB+"="+dbURL, envChildSim+"="+b.srv.URL, envChildKey+"="+spec,
			envChildUser+"="+strconv.FormatInt(b.userID, 10), envChildStart+"="+start)
		if syncs {
			cmd.Env = append(cmd.Env, envChildCompany+"="+strconv.FormatInt(companies[i], 10))
		}
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		require.NoError(t, cmd.Start())
		children[i] = cmd
	}
	// Wait until both processes have opened the database, then release them together.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ready, _ := filepath.Glob(start + ".ready.*")
		if len(ready) == len(children) {
			break
		}
		require.True(t, time.Now().Before(deadline), "children not ready: %v\n%s\n%s", ready, outs[0], outs[1])
	}
	require.NoError(t, os.WriteFile(start, nil, 0o600))
	for i, cmd := range children {
		err := cmd.Wait()
		require.NoError(t, err, "child %d:\n%s", i, outs[i])
		require.Contains(t, outs[i].String(), "CHILD-OK", "child %d:\n%s", i, outs[i])
	}
	b.sim.ClearFaults()

	require.Equal(t, calls+1, b.sim.Stats().Calls["token"], "one refresh reached ANAF")
	row, _, refresh := b.storedToken(t)
	require.Equal(t, anafsync.StatusConnected, row.Status)
	require.NotEqual(t, oldRefresh, refresh)
	// The stored pair is the live one: ANAF accepts its refresh token.
	_, err := b.client.Refresh(t.Context(), refresh)
	require.NoError(t, err)
	events, err := st.AuditEvents(t.Context(), 20)
	require.NoError(t, err)
	for _, e := range events {
		require.NotEqual(t, store.ActionANAFRefreshFailed, e.Action)
	}
	if !syncs {
		return
	}
	for _, id := range companies {
		run := b.lastRun(t, id)
		require.Equal(t, store.SyncOK, run.Status, run.Error)
		require.Positive(t, run.New)
	}
}

// TestRefreshChildProcess is the child of TestRefreshAcrossProcesses; it
// is skipped in a normal run.
func TestRefreshChildProcess(t *testing.T) {
	dbURL := os.Getenv(envChildDB)
	if dbURL == "" {
		t.Skip("the child process of TestRefreshAcrossProcesses")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.PoolConfig{MaxConns: 4})
	require.NoError(t, err)
	defer st.Close()
	keys, err := secretbox.Parse(os.Getenv(envChildKey))
	require.NoError(t, err)
	uid, err := strconv.ParseInt(os.Getenv(envChildUser), 10, 64)
	require.NoError(t, err)
	sim := os.Getenv(envChildSim)
	client := anaf.New(anaf.Config{BaseURL: sim, OAuthURL: sim, Env: anaf.EnvTest,
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: testRedirect, Timeout: 10 * time.Second})
	e := &anafsync.Engine{Store: st, Secrets: keys, Retry: fastRetry,
		ANAFClient: func(context.Context) (*anaf.Client, error) { return client, nil }}
	// Warm up the connection pool so both children reach the lock together.
	_, err = st.ANAFTokenByUser(ctx, uid)
	require.NoError(t, err)
	start := os.Getenv(envChildStart)
	require.NoError(t, os.WriteFile(start+".ready."+strconv.Itoa(os.Getpid()), nil, 0o600))
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if _, err := os.Stat(start); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "never released")
	}
	if id := os.Getenv(envChildCompany); id != "" {
		companyID, err := strconv.ParseInt(id, 10, 64)
		require.NoError(t, err)
		_, err = e.SyncCompany(ctx, companyID, nil)
		require.NoError(t, err)
	} else {
		require.NoError(t, e.RefreshUser(ctx, client, uid))
	}
	fmt.Println("CHILD-OK")
}

// TestRefreshRefusedButStoredMeanwhile: a refresh token another writer
// spent (and stored the new pair of) while this process's refresh was in
// flight is refused by ANAF with invalid_grant; the stored pair is used
// and the connection is not marked reconnect_needed.
func TestRefreshRefusedButStoredMeanwhile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, options{invoices: 2})
		company := b.company(t, b.busiestCIF(t))
		_, access, refresh := b.storedToken(t)
		b.setToken(t, access, refresh, b.clock.Now().Add(time.Hour)) // due for a refresh
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "token", Kind: anafsim.FaultSlow, Count: 1, DelayMS: 1500}))
		calls := b.sim.Stats().Calls["token"]

		done := make(chan error, 1)
		go func() {
			_, err := b.engine.SyncCompany(ctx, company.ID, nil)
			done <- err
		}()
		// While the sync's refresh waits at ANAF, another writer (outside
		// the lock: a holder whose lease ran out) spends the same refresh
		// token and stores the new pair.
		require.Eventually(t, func() bool { return b.sim.Stats().Calls["token"] == calls+1 }, 10*time.Second, time.Millisecond,
			"the sync's refresh reached ANAF")
		nt, err := b.client.Refresh(ctx, refresh)
		require.NoError(t, err)
		require.NoError(t, anafsync.SaveToken(ctx, st, b.keys, b.userID, nt))

		require.NoError(t, <-done)
		row, _, stored := b.storedToken(t)
		require.Equal(t, anafsync.StatusConnected, row.Status)
		require.Equal(t, nt.RefreshToken, stored)
		require.Equal(t, store.SyncOK, b.lastRun(t, company.ID).Status)
	})
}

// rekey re-encrypts the user's grant with a fresh keyring whose spec it
// returns (for a child process), and makes the bundle use it.
func (b *testBundle) rekey(t testing.TB) string {
	t.Helper()
	_, access, refresh := b.storedToken(t)
	row, _, _ := b.storedToken(t)
	spec, err := secretbox.Generate("proc")
	require.NoError(t, err)
	b.keys, err = secretbox.Parse(spec)
	require.NoError(t, err)
	b.engine.Secrets = b.keys
	b.setToken(t, access, refresh, row.ExpiresAt)
	return spec
}
