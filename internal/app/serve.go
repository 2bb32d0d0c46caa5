package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/efactura-gateway/efactura/internal/api"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/metrics"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tracing"
	"github.com/efactura-gateway/efactura/internal/web"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// ServeOptions select the demo mode and where the demo prints.
type ServeOptions struct {
	Demo         bool
	DemoInvoices string    // directory of UBL files for the in-process simulator
	Stdout       io.Writer // the demo's three lines
	// Ready, when set, is called with the listening URL once the server accepts connections.
	Ready func(url string)
	// SyncStep and ScheduleEvery override the job queue's sync step bound
	// and scheduler period (tests); zero: jobs.StepDuration, jobs.ScheduleEvery.
	SyncStep      time.Duration
	ScheduleEvery time.Duration
	// Subscribers are told of every event after it commits (issue 19:
	// the mail notifier); WebhookDisabled, when set, is told when the
	// gateway disables an endpoint after its retry window (nil: the mail
	// notifier e-mails the company's owners when mail is on).
	Subscribers     []notify.Subscriber
	WebhookDisabled webhook.DisabledNotifier
}

// Serve runs the gateway until ctx is cancelled, then shuts down gracefully.
func Serve(ctx context.Context, e *Env, o ServeOptions) error {
	cfg := e.Cfg
	// Every secret at rest must open with EFACTURA_ENCRYPTION_KEY: a
	// missing or replaced key is refused here, by count and kid, rather
	// than found connection by connection.
	if err := e.CheckSecretsAtStart(ctx); err != nil {
		var u *UndecryptableError
		if !o.Demo || !errors.As(err, &u) {
			return err
		}
		// The demo connects its admin again when the stored connection
		// does not decrypt (a data directory, and its key, deleted).
		e.Logger.Warn("demo: " + err.Error())
	}
	// Tracing (OpenTelemetry): off unless OTEL_EXPORTER_OTLP_ENDPOINT is
	// set; flushed last, after the jobs stopped.
	stopTracing, err := tracing.Setup(ctx, e.Logger)
	if err != nil {
		return err
	}
	defer func() {
		tctx, tcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer tcancel()
		if err := stopTracing(tctx); err != nil {
			e.Logger.Warn("flushing traces", slog.String("error", err.Error()))
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (set another address with --addr or EFACTURA_ADDR): %w", cfg.Addr, err)
	}
	// An address with port 0 learns its real port now.
	cfg.WithAddr(ln.Addr().String())

	var demo *demoState
	if o.Demo {
		demo, err = setupDemo(ctx, e, o.DemoInvoices)
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
		defer demo.Close()
	}

	// Metrics first: the ANAF client, the sync engine and the jobs report to them.
	if e.Metrics == nil {
		e.Metrics = metrics.New(prometheus.NewRegistry())
		e.Metrics.RegisterDB(e.Store.DB())
		e.Metrics.RegisterStore(e.Store, e.Logger)
	}
	// Rate limits: in memory, or shared by every replica through Redis when
	// REDIS_URL is set (one Redis pool serves the limiter and its probe);
	// while Redis is down (also at start) they are kept in this process.
	// Opened before the risk checkers are built: ANAF's VAT-payer pace (one
	// request a second per installation) is kept there too.
	limiter, redisPing, closeLimiter, err := ratelimit.Open(cfg.RedisURL, e.Logger)
	if err != nil {
		ln.Close()
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	defer func() { _ = closeLimiter() }()
	e.ShareVATPace(limiter)
	// The engine queues syncs on the job runner, and the runner works them
	// with the engine: the engine's Enqueuer forwards to the runner built
	// just below, before anything can ask for a sync.
	var runner *jobs.Runner
	engine := e.syncEngine(func(ctx context.Context, companyID int64) (*store.SyncRun, error) {
		return runner.StartSync(ctx, companyID)
	})
	// Durable jobs (River): syncs in short resumable steps, the scheduler,
	// token refresh ahead of expiry. River's schema is migrated here too
	// (idempotent; advisory-locked on PostgreSQL) so a start with
	// EFACTURA_AUTO_MIGRATE=false after `efactura migrate up` finds it.
	if err := jobs.Migrate(ctx, e.Store, e.Logger); err != nil {
		ln.Close()
		return fmt.Errorf("job queue: %w", err)
	}
	// E-mail (mail.go): sent by the runner's send_mail jobs; off without
	// EFACTURA_SMTP_URL. It is one of the event dispatcher's subscribers.
	mailer, err := e.Mailer()
	if err != nil {
		ln.Close()
		return err
	}
	// Events and webhooks (issue 19): the gateway is built before the
	// runner so the dispatcher can render events in the API's shape.
	gw := e.Gateway(engine)
	subscribers := append(slices.Clone(o.Subscribers), mailer)
	disabled := o.WebhookDisabled
	if disabled == nil && mailer.On() {
		disabled = mailer // the owners are e-mailed when an endpoint is disabled
	}
	runner, err = jobs.New(jobs.Options{Store: e.Store, Engine: engine, Logger: e.Logger, Schedule: true,
		StepDuration: o.SyncStep, ScheduleEvery: o.ScheduleEvery, Observe: e.Metrics.ObserveJob,
		Risk: e.RiskChecker(), Mail: mailer,
		Webhooks: e.Deliverer(gw, subscribers, disabled)})
	if err != nil {
		ln.Close()
		return err
	}
	mailer.Enqueue = runner.EnqueueMail
	sessions := scs.New()
	sessionStore := auth.NewSessionStore(e.Store, e.Logger)
	sessions.Store = sessionStore
	sessions.Lifetime = 12 * time.Hour
	// The idle limit is kept by the session store (its stored expiry) and
	// the web UI (web.Deps.SessionIdle), which commits an active session
	// once a minute: scs's IdleTimeout would rewrite it on every request.
	const sessionIdle = 2 * time.Hour
	sessionStore.Idle = sessionIdle
	sessions.Cookie.Name = "efactura_session"
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	sessions.Cookie.Secure = cfg.Production()
	sessions.Cookie.Persist = false

	// One use-case layer under the pages and the API: one render guard,
	// one export cap, one sync starter (the job queue).
	gw.SyncStarter = func(ctx context.Context, companyID int64) (int64, error) {
		run, err := runner.StartSync(ctx, companyID)
		if run != nil {
			return run.ID, err
		}
		return 0, err
	}
	gw.UploadQueuer = runner.EnqueueUpload
	gw.Mail = mailer
	gw.Throttle = gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: cfg.LoginFailuresPerAccountIP, PerIP: cfg.LoginFailuresPerIP,
		PerAccount: cfg.LoginFailuresPerAccount, Window: cfg.LoginFailureWindow})
	webHandler, err := web.New(web.Deps{
		Gateway: gw, Sessions: sessions, Sync: engine, Logger: e.Logger,
		Registration: cfg.Registration, Production: cfg.Production(), TrustedProxies: cfg.TrustedProxies,
		SessionIdle: sessionIdle,
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("building web pages: %w", err)
	}
	// Probes (PRODUCT.md §4, §9). Readiness (/readyz): the database, the
	// job queue (both also 503 in /api/v1/health), and the local disk — a
	// write probe of the SQLite file's directory, the log file's and the
	// temp dir (never a write to a shared PostgreSQL, whose failure would
	// take every replica out at once; "degraded" in health). Degraded only (200 in
	// /api/v1/health, never readiness): Redis (the rate limits fall back
	// to per-replica ones), ANAF (checked at most once a minute), and
	// storage (this process's syncs back off after the database refused a
	// write: disk full, I/O error). All of them: efactura_dependency_up.
	required := map[string]check{"database": e.Store.Ping, "jobs": jobQueueCheck(runner)}
	if dirs := localWriteDirs(cfg.DatabaseURL, cfg.LogFile); len(dirs) > 0 {
		required["disk"] = diskWritable(dirs, e.Logger)
	}
	degradable := map[string]check{
		"anaf":    (&cachedProbe{ttl: ANAFProbeEvery, check: anafReachable(cfg.ANAFBaseURL, nil)}).Check,
		"storage": runner.StorageCheck,
	}
	if redisPing != nil {
		pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
		_ = redisPing(pctx) // logs "Redis is unavailable" now when it is: the gateway starts degraded
		pcancel()
		degradable["redis"] = (&cachedProbe{ttl: RedisProbeEvery, check: redisPing}).Check
	}
	all := map[string]func(context.Context) error{}
	for n, c := range required {
		all[n] = c
	}
	for n, c := range degradable {
		all[n] = c
	}
	e.Metrics.RegisterChecks(all)
	apiHandler := api.New(api.Deps{Gateway: gw, BaseURL: cfg.BaseURL, Logger: e.Logger,
		Limiter: limiter, KeyPerMin: cfg.RateLimitKeyPerMin, IPPerMin: cfg.RateLimitIPPerMin,
		TrustedProxies: cfg.TrustedProxies,
		Checks:         healthChecks(required),
		Degradable:     healthDegradable(required, degradable)})

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	// On SIGTERM /readyz turns 503 at once (draining) while everything
	// else is still served for cfg.ShutdownDrain.
	var draining atomic.Bool
	root.Handle("GET /readyz", drainAware(&draining, readyHandler(required)))
	// /metrics: on its own listener (EFACTURA_METRICS_ADDR), else here for
	// loopback clients and holders of EFACTURA_METRICS_TOKEN only (404 to others).
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("cannot listen on EFACTURA_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", e.Metrics.Handler())
		metricsSrv = &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(e.Logger.Handler(), slog.LevelWarn)}
		go func() { _ = metricsSrv.Serve(mln) }()
		e.Logger.Info("metrics listening", slog.String("addr", mln.Addr().String()))
	} else {
		root.Handle("GET /metrics", metrics.Guard(cfg.MetricsToken, e.Metrics.Handler()))
	}
	// Requests that need the database wait at most DBWait for a connection, then 503.
	root.Handle("/api/", dbGate(e.Store, DBWait, apiHandler))
	csrf := http.NewCrossOriginProtection()
	root.Handle("/", dbGate(e.Store, DBWait, csrf.Handler(sessions.LoadAndSave(webHandler))))

	// A made-up method is 501 before any mux (one series: route
	// "unmatched", method "OTHER"), counted by the metrics middleware.
	h := e.Metrics.Middleware(httpserver.KnownMethods(tracing.Routes(root)))
	h = httpserver.SecurityHeaders(cfg.Production(), h)
	h = httpserver.Recover(e.Logger, h)
	h = httpserver.AccessLogTrusting(e.Logger, cfg.TrustedProxies, h)
	h = httpserver.RequestID(h)
	h = tracing.Handler(h) // outermost: the access log sees the span (off: h itself)

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(e.Logger.Handler(), slog.LevelWarn),
	}
	cleanupCtx, stopCleanup := context.WithCancel(ctx)
	defer stopCleanup()
	sessionStore.StartCleanup(cleanupCtx, 30*time.Minute)
	if err := runner.Start(cleanupCtx); err != nil {
		ln.Close()
		return err
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := cfg.BaseURL
	e.Logger.Info("gateway listening", slog.String("url", url), slog.String("env", cfg.Env),
		slog.String("database", string(e.Store.Dialect())))
	if demo != nil {
		demo.printLines(o.Stdout, url)
		demo.startSync(ctx, engine)
	}
	if o.Ready != nil {
		o.Ready(url)
	}

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
		drain(&draining, srv, cfg.ShutdownDrain, errc, e.Logger)
	}
	e.Logger.Info("shutting down")
	shCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil {
		e.Logger.Warn("graceful shutdown incomplete", slog.String("error", err.Error()))
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shCtx)
	}
	e.Logger.Info("requests finished; stopping background jobs")
	jctx, jcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer jcancel()
	if err := runner.Stop(jctx); err != nil {
		e.Logger.Warn("stopping background jobs", slog.String("error", err.Error()))
	}
	stopCleanup()
	engine.Wait()
	e.Logger.Info("shutdown complete")
	return nil
}

// drainAware answers 503 "draining" while draining is set, else passes to next.
func drainAware(draining *atomic.Bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("unavailable: draining\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// drain is the first step of a graceful stop: /readyz answers 503 at once
// while the server goes on accepting and answering for d, so the load
// balancer sees the replica leave before any connection is refused.
// Keep-alives are turned off meanwhile (each answer closes its connection,
// so clients come back through the balancer). A second SIGINT/SIGTERM, or
// the server failing, ends the drain early.
func drain(draining *atomic.Bool, srv *http.Server, d time.Duration, errc <-chan error, logger *slog.Logger) {
	draining.Store(true)
	if d <= 0 {
		return
	}
	srv.SetKeepAlivesEnabled(false)
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	logger.Info("draining: /readyz answers 503, requests are still served", slog.Duration("drain", d))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-again:
		logger.Info("second stop signal: ending the drain early")
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("server failed while draining", slog.String("error", err.Error()))
		}
	}
}
