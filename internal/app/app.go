// Package app is the composition root: it builds the store, the ANAF
// client, the sync engine and the HTTP handlers from the configuration, in
// dependency order, and tears them down in reverse.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/metrics"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tracing"
)

// NewLogger builds the process logger from the configuration: JSON or
// text (EFACTURA_LOG_FORMAT; production defaults to JSON) at
// EFACTURA_LOG_LEVEL, to w (nil: stderr), or to EFACTURA_LOG_FILE rotated
// by lumberjack when set. Every record logged with a request's context
// carries that request's id (request_id).
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	if cfg.LogFile != "" {
		w = logFileWriter(cfg.LogFile)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(requestIDHandler{h})
}

// Env is what every command needs: configuration, logger, store, keyring.
type Env struct {
	Cfg     *config.Config
	Logger  *slog.Logger
	Store   *store.Store
	Secrets *secretbox.Keyring
	// Metrics, when set (Serve sets it), counts ANAF calls, jobs and sync runs.
	Metrics *metrics.Metrics
	// PasswordParams are the argon2id costs of new hashes (OpenOptions).
	PasswordParams auth.Argon2Params
	// vatPace, when set (ShareVATPace), paces the VAT-payer calls.
	vatPace *ratelimit.Pacer
}

// Close releases the store.
func (e *Env) Close() {
	if e.Store != nil {
		_ = e.Store.Close()
	}
}

// OpenOptions tune Open.
type OpenOptions struct {
	Migrate  bool          // apply migrations (when cfg.AutoMigrate) or refuse a schema behind
	WaitFor  time.Duration // wait for the database this long, with backoff (0: try once)
	Readonly bool
	// PasswordParams are the argon2id costs of new password hashes (zero:
	// auth.DefaultArgon2Params); tests pass auth.TestArgon2Params.
	PasswordParams auth.Argon2Params
}

// Open connects to the database (waiting for it with backoff and saying
// what it waits for), migrates when allowed, and loads the keyring.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger, o OpenOptions) (*Env, error) {
	kr, err := secretbox.Parse(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("EFACTURA_ENCRYPTION_KEY: %w", err)
	}
	pc := store.PoolConfig{MaxConns: cfg.DBMaxConns, MinConns: cfg.DBMinConns, MaxConnLifetime: cfg.DBMaxConnLifetime,
		Trace: tracing.Configured() || tracing.Enabled()}
	var st *store.Store
	deadline := time.Now().Add(o.WaitFor)
	delay := 250 * time.Millisecond
	for {
		st, err = store.Open(ctx, cfg.DatabaseURL, pc)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("database %s: %w", redactURL(cfg.DatabaseURL), err)
		}
		logger.Warn("waiting for the database", slog.String("database", redactURL(cfg.DatabaseURL)),
			slog.String("error", err.Error()), slog.Duration("retry_in", delay))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
	if o.Migrate {
		if cfg.AutoMigrate {
			if err := st.Migrate(ctx); err != nil {
				_ = st.Close()
				return nil, fmt.Errorf("applying migrations: %w", err)
			}
			// The job queue's own tables (River), after ours.
			if err := jobs.Migrate(ctx, st, logger); err != nil {
				_ = st.Close()
				return nil, fmt.Errorf("applying job queue migrations: %w", err)
			}
		} else {
			cur, latest, err := st.MigrationStatus(ctx)
			if err != nil {
				_ = st.Close()
				return nil, fmt.Errorf("reading schema version: %w", err)
			}
			if cur < latest {
				_ = st.Close()
				return nil, fmt.Errorf("the database schema is at version %d, this build needs %d: run `efactura migrate up` (EFACTURA_AUTO_MIGRATE=false)", cur, latest)
			}
		}
	}
	return &Env{Cfg: cfg, Logger: logger, Store: st, Secrets: kr, PasswordParams: o.PasswordParams}, nil
}

func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			cred := rest[:at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return u[:i+3] + cred[:c] + ":***@" + rest[at+1:]
			}
		}
	}
	return u
}

// ErrNoANAFApp means no ANAF OAuth application is configured.
var ErrNoANAFApp = errors.New("no ANAF OAuth application is configured: set EFACTURA_ANAF_CLIENT_ID and EFACTURA_ANAF_CLIENT_SECRET, or ask an admin to set it in the web UI")

// ANAFClientFunc returns a function building an ANAF client with the OAuth
// application from the environment, else from the database.
func (e *Env) ANAFClientFunc() func(ctx context.Context) (*anaf.Client, error) {
	return func(ctx context.Context) (*anaf.Client, error) {
		cfg := e.Cfg
		id, secret := cfg.ANAFClientID, cfg.ANAFClientSecret
		redirect := cfg.BaseURL + "/anaf/callback"
		if id == "" {
			a, err := e.Store.ANAFApp(ctx)
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrNoANAFApp
			}
			if err != nil {
				return nil, err
			}
			sec, err := e.Secrets.Decrypt(a.ClientSecretEnc)
			if err != nil {
				return nil, fmt.Errorf("decrypting the ANAF client secret: %w", err)
			}
			id, secret = a.ClientID, string(sec)
			if a.RedirectURI != "" {
				redirect = a.RedirectURI
			}
		}
		// ANAF's quotas are counted in the database, so every process
		// (replicas, the CLI's sync) spends from the same budget.
		var quota anaf.QuotaLimiter = anaf.QuotaTakeFunc(e.Store.QuotaTake)
		if clientQuotasOff(cfg) {
			quota = anaf.UnlimitedQuota
		}
		return anaf.New(anaf.Config{
			BaseURL: cfg.ANAFBaseURL, OAuthURL: cfg.ANAFOAuthURL, Env: anaf.Environment(cfg.ANAFEnv),
			ClientID: id, ClientSecret: secret, RedirectURI: redirect, Quota: quota,
			Observer: e.anafObserver(),
		}), nil
	}
}

// EnvClientQuotas, set to "off", turns off the gateway's own accounting of
// ANAF's quotas (1000 calls a minute, per-CIF and per-message daily limits)
// — for benchmarks against a simulator run with `--quotas off` only: it is
// ignored when the ANAF base URL is ANAF's own (api.anaf.ro).
const EnvClientQuotas = "EFACTURA_ANAF_CLIENT_QUOTAS"

func clientQuotasOff(cfg *config.Config) bool {
	return os.Getenv(EnvClientQuotas) == "off" && !strings.Contains(cfg.ANAFBaseURL, "anaf.ro")
}

// SyncEngine builds the sync engine (foreground: SyncNow runs in this
// process; Serve builds its own, which queues durable jobs).
func (e *Env) SyncEngine() *anafsync.Engine { return e.syncEngine(nil) }

// syncEngine builds the sync engine; enqueue, when set, makes SyncNow
// queue a durable job.
func (e *Env) syncEngine(enqueue anafsync.Enqueuer) *anafsync.Engine {
	o := anafsync.Options{Store: e.Store, Secrets: e.Secrets, ANAFClient: e.ANAFClientFunc(), Logger: e.Logger, Enqueue: enqueue}
	if e.Metrics != nil {
		o.OnRunFinished = e.Metrics.ObserveSyncRun
		o.OnRelist = e.Metrics.ObserveRelist
	}
	return anafsync.New(o)
}

// Gateway builds the use-case layer shared by the pages, the API and the
// CLI; eng (may be nil) verifies CIFs with ANAF.
func (e *Env) Gateway(eng *anafsync.Engine) *gateway.Service {
	s := &gateway.Service{Store: e.Store, Logger: e.Logger, ANAFClient: e.ANAFClientFunc(), PasswordParams: e.PasswordParams}
	if e.Secrets != nil {
		s.Secrets = e.Secrets
	}
	if eng != nil {
		s.Verifier = eng
	}
	s.Taxpayers = e.RiskChecker() // risk.go: the VAT-payer register for the "add company" form
	s.WebhookPolicy = e.WebhookPolicy()
	return s
}

func (e *Env) anafObserver() anaf.Observer {
	if e.Metrics == nil {
		return nil
	}
	return e.Metrics.ObserveANAF
}
