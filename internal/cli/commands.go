package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ---- serve

type serveCmd struct {
	Demo         bool   `help:"Run with a built-in ANAF simulator loaded with sample invoices, a demo admin, companies and API key (database: DATABASE_URL, by default SQLite under ./data)."`
	DemoInvoices string `name:"demo-invoices" type:"existingdir" placeholder:"DIR" help:"With --demo: load this directory of UBL files instead of the generated samples."`
	Addr         string `placeholder:"HOST:PORT" help:"Listen address (overrides EFACTURA_ADDR)."`
}

func (c *serveCmd) Run(g *globals) error {
	if c.DemoInvoices != "" && !c.Demo {
		return usageErr("--demo-invoices needs --demo")
	}
	cfg, err := config.Load(g.getenv)
	if err != nil {
		return err
	}
	if c.Addr != "" {
		cfg.WithAddr(c.Addr)
	}
	if c.Demo && cfg.Production() {
		return errors.New("--demo refuses to run with EFACTURA_ENV=production")
	}
	logger := app.NewLogger(cfg, g.stderr)
	slog.SetDefault(logger)
	if g.process {
		// Go's soft memory limit (GOMEMLIMIT, or app.DefaultMemoryLimit):
		// the process only, never a test binary running serve in-process.
		app.ApplyMemoryLimit(os.Getenv)
	}
	e, err := app.Open(g.ctx, cfg, logger, app.OpenOptions{Migrate: true, WaitFor: 60 * time.Second})
	if err != nil {
		return err
	}
	defer e.Close()
	return app.Serve(g.ctx, e, app.ServeOptions{Demo: c.Demo, DemoInvoices: c.DemoInvoices, Stdout: g.stdout})
}

// ---- anaf-sim

type anafSimCmd struct {
	Addr            string        `default:"127.0.0.1:8090" help:"Listen address."`
	Invoices        string        `type:"existingdir" placeholder:"DIR" help:"Load every UBL file of this directory as messages (default, without --generate: the project's generated sample invoices)."`
	Generate        int           `placeholder:"N" help:"Load a synthetic benchmark load of N invoices (each listed for its seller and its buyer)."`
	Companies       int           `default:"6" placeholder:"M" help:"Spread --generate over M companies (at least 2)."`
	Seed            int64         `default:"1" help:"Seed of the generated invoices and of --fault-rate."`
	StateDir        string        `name:"state-dir" placeholder:"DIR" help:"Keep the simulator's state (messages, keys, tokens) in this directory."`
	ClientID        string        `name:"client-id" help:"The only OAuth client accepted (default: any)."`
	ClientSecret    string        `name:"client-secret" help:"That client's secret."`
	RedirectURI     []string      `name:"redirect-uri" placeholder:"URL" help:"A registered OAuth callback (repeatable); authorize then requires an exact match (default: any callback)."`
	AutoApprove     bool          `name:"auto-approve" help:"Authorize at once, granting every loaded CIF, instead of showing the consent page."`
	AccessTTL       time.Duration `name:"access-ttl" default:"2160h" help:"Access token lifetime (ANAF: 90 days)."`
	RefreshTTL      time.Duration `name:"refresh-ttl" default:"8760h" help:"Refresh token lifetime (ANAF: 365 days)."`
	ProcessingDelay time.Duration `name:"processing-delay" default:"5s" help:"Time between an upload and its verdict (stareMesaj 'in prelucrare' until then)."`
	Quotas          string        `enum:"on,off" default:"on" help:"ANAF's daily quotas and 1000 requests/minute (on) or none (off, for benchmarks)."`
	StatusPerDay    int           `name:"status-per-day" default:"100" help:"stareMesaj calls per upload index per day (ANAF: 10 or 100; the simulator takes the lenient 100)."`
	FaultRate       float64       `name:"fault-rate" placeholder:"F" help:"Probability (0..1) of a random transient fault on each e-Factura REST call: 500, 502, 504, hang, truncated body, malformed ZIP."`
	Latency         time.Duration `help:"Delay added to every e-Factura REST answer."`
	Hang            time.Duration `default:"65s" help:"How long a hung answer (timeout fault) is held before it is sent."`
	RASPTipSeller   string        `name:"rasp-tip-seller" default:"MESAJ CUMPARATOR PRIMIT" help:"tip of a buyer message in the seller's list."`
	RASPTipBuyer    string        `name:"rasp-tip-buyer" default:"MESAJ CUMPARATOR TRANSMIS" help:"tip of a buyer message in the buyer's list."`
}

func (c *anafSimCmd) Run(g *globals) error {
	logger := slog.New(slog.NewTextHandler(g.stderr, nil))
	sim, err := anafsim.New(anafsim.Options{
		StateDir: c.StateDir, ClientID: c.ClientID, ClientSecret: c.ClientSecret, AutoApprove: c.AutoApprove,
		RedirectURIs: c.RedirectURI, AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, ProcessingDelay: c.ProcessingDelay,
		NoQuotas: c.Quotas == "off", StatusPerDay: c.StatusPerDay, FaultRate: c.FaultRate, Seed: c.Seed,
		Latency: c.Latency, Hang: c.Hang, RASPTipSeller: c.RASPTipSeller, RASPTipBuyer: c.RASPTipBuyer, Logger: logger,
		RejectAll: anafsim.NativeRejections, // uploads judged by the native validator, every fired rule in the error ZIP
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	n, err := sim.LoadSources(c.Invoices, c.Generate, c.Companies, c.Seed)
	if err != nil {
		if n == 0 && c.Generate > 0 {
			return err
		}
		logger.Warn("some files were not loaded", slog.String("error", err.Error()))
	}
	logger.Info("invoices loaded", slog.Int("files", n), slog.Int("cifs", len(sim.CIFs())))
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-g.ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintf(g.stdout, "anaf-sim listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ---- migrate

type migrateCmd struct {
	Up     migrateUpCmd     `cmd:"" help:"Apply pending migrations."`
	Status migrateStatusCmd `cmd:"" help:"Show the schema version."`
}

type migrateUpCmd struct{}

func (migrateUpCmd) Run(g *globals) error {
	cfg, err := config.Load(g.getenv)
	if err != nil {
		return err
	}
	cfg.AutoMigrate = true
	e, err := app.Open(g.ctx, cfg, app.NewLogger(cfg, g.stderr), app.OpenOptions{Migrate: true})
	if err != nil {
		return err
	}
	defer e.Close()
	cur, latest, err := e.Store.MigrationStatus(g.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "schema at version %d of %d\n", cur, latest)
	return nil
}

type migrateStatusCmd struct{}

func (migrateStatusCmd) Run(g *globals) error {
	e, err := g.env(false)
	if err != nil {
		return err
	}
	defer e.Close()
	cur, latest, err := e.Store.MigrationStatus(g.ctx)
	if err != nil {
		return err
	}
	state := "up to date"
	if cur < latest {
		state = fmt.Sprintf("%d pending", latest-cur)
	}
	fmt.Fprintf(g.stdout, "schema version %d, latest %d (%s)\n", cur, latest, state)
	return nil
}

// cliActor is the operator at the command line: every use case audits it as "(cli)".
var cliActor = gateway.Actor{CLI: true}

// ---- users

type userCmd struct {
	Create        userCreateCmd   `cmd:"" help:"Create a user (approved)."`
	Approve       userApproveCmd  `cmd:"" help:"Approve a pending user."`
	Reject        userRejectCmd   `cmd:"" help:"Reject a user (they cannot log in)."`
	List          userListCmd     `cmd:"" help:"List users."`
	SetAdmin      userSetAdminCmd `cmd:"" name:"set-admin" help:"Grant (or with --off remove) the admin role."`
	ResetPassword userResetCmd    `cmd:"" name:"reset-password" help:"Set a new password."`
	Reset2FA      userReset2FACmd `cmd:"" name:"reset-2fa" help:"Remove a user's two-factor login and recovery codes (a lost phone); they set it up again."`
}

type userCreateCmd struct {
	Email    string `required:"" help:"E-mail address (the login)."`
	Password string `required:"" help:"Password (at least 10 characters)."`
	Admin    bool   `help:"Make the user an admin."`
}

func (c *userCreateCmd) Run(g *globals) error {
	if len(c.Password) < 10 {
		return usageErr("the password must have at least 10 characters")
	}
	if !strings.Contains(c.Email, "@") {
		return usageErr("%q is not an e-mail address", c.Email)
	}
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	u, err := e.Gateway(nil).CreateUser(g.ctx, cliActor, gateway.NewUser{Email: c.Email, Password: c.Password, Admin: c.Admin})
	if errors.Is(err, gateway.ErrUserExists) {
		return fmt.Errorf("a user with e-mail %s already exists", c.Email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "user %s created (id %d)\n", u.Email, u.ID)
	return nil
}

type userApproveCmd struct {
	Email string `arg:"" help:"E-mail of the user."`
}

func (c *userApproveCmd) Run(g *globals) error {
	return onUser(g, c.Email, func(gw *gateway.Service, u *store.User) (string, error) {
		_, err := gw.ApproveUser(g.ctx, cliActor, u.ID)
		return "user " + u.Email + " approved", err
	})
}

type userRejectCmd struct {
	Email string `arg:"" help:"E-mail of the user."`
}

func (c *userRejectCmd) Run(g *globals) error {
	return onUser(g, c.Email, func(gw *gateway.Service, u *store.User) (string, error) {
		_, err := gw.RejectUser(g.ctx, cliActor, u.ID)
		return "user " + u.Email + " rejected", err
	})
}

type userListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

func (c *userListCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	users, err := e.Gateway(nil).Users(g.ctx, cliActor)
	if err != nil {
		return err
	}
	if c.JSON {
		out := make([]map[string]any, 0, len(users))
		for _, u := range users {
			out = append(out, map[string]any{"id": u.ID, "email": u.Email, "status": u.Status, "admin": u.IsAdmin, "created_at": u.CreatedAt.UTC().Format(time.RFC3339)})
		}
		return json.NewEncoder(g.stdout).Encode(out)
	}
	for _, u := range users {
		role := "user"
		if u.IsAdmin {
			role = "admin"
		}
		fmt.Fprintf(g.stdout, "%d\t%s\t%s\t%s\n", u.ID, u.Email, u.Status, role)
	}
	return nil
}

type userSetAdminCmd struct {
	Email string `arg:""`
	Off   bool   `help:"Remove the admin role instead."`
}

func (c *userSetAdminCmd) Run(g *globals) error {
	return onUser(g, c.Email, func(gw *gateway.Service, u *store.User) (string, error) {
		_, err := gw.SetAdmin(g.ctx, cliActor, u.ID, !c.Off)
		return fmt.Sprintf("user %s admin=%v", u.Email, !c.Off), err
	})
}

type userResetCmd struct {
	Email    string `arg:""`
	Password string `required:"" help:"The new password (at least 10 characters)."`
}

func (c *userResetCmd) Run(g *globals) error {
	if len(c.Password) < 10 {
		return usageErr("the password must have at least 10 characters")
	}
	return onUser(g, c.Email, func(gw *gateway.Service, u *store.User) (string, error) {
		_, err := gw.ResetPassword(g.ctx, cliActor, u.ID, c.Password)
		return "password of " + u.Email + " changed", err
	})
}

// onUser runs act, a use case on the user with e-mail email, and prints the
// line it returns: the shape of every `user <verb> EMAIL` command.
func onUser(g *globals, email string, act func(*gateway.Service, *store.User) (string, error)) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	u, err := userByEmail(g, e, email)
	if err != nil {
		return err
	}
	msg, err := act(e.Gateway(nil), u)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, msg)
	return nil
}

// ---- companies

type companyCmd struct {
	Add    companyAddCmd    `cmd:"" help:"Add a company (the CIF check digit is enforced)."`
	List   companyListCmd   `cmd:"" help:"List companies."`
	Invite companyInviteCmd `cmd:"" help:"Invite a user to a company: a pending invitation they accept or decline on their Invitations page."`
}

type companyAddCmd struct {
	CIF   string `arg:"" name:"cif" help:"CIF, with or without RO."`
	Name  string `required:"" help:"Company name."`
	Owner string `help:"E-mail of the user who creates it: owner, lending their ANAF connection; the company is unverified until its first successful ANAF call."`
}

func (c *companyAddCmd) Run(g *globals) error {
	d, err := cif.Check(c.CIF)
	if err != nil {
		return usageErr("%s: %v", c.CIF, err)
	}
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	var ownerID int64
	if c.Owner != "" {
		owner, err := userByEmail(g, e, c.Owner)
		if err != nil {
			return err
		}
		ownerID = owner.ID
	}
	res, err := e.Gateway(nil).AddCompany(g.ctx, cliActor, ownerID, d, c.Name)
	if err != nil {
		return err
	}
	switch res.Outcome {
	case gateway.Created:
		fmt.Fprintf(g.stdout, "company %s %s added (id %d, %s)\n", res.Company.CIF, res.Company.Name, res.Company.ID, res.Company.Status)
		return nil
	case gateway.TookOver:
		fmt.Fprintf(g.stdout, "company %s %s taken over by %s (id %d, %s)\n", res.Company.CIF, res.Company.Name, c.Owner, res.Company.ID, res.Company.Status)
		return nil
	case gateway.JoinRequested:
		return fmt.Errorf("a company with CIF %s already exists: a join request from %s was sent to its owners", d, c.Owner)
	}
	return fmt.Errorf("a company with CIF %s already exists", d)
}

type companyInviteCmd struct {
	CIF   string `arg:"" name:"cif" help:"The company's CIF (with or without RO)."`
	Email string `required:"" help:"E-mail of the person to invite (an account may be registered later)."`
	Role  string `default:"member" enum:"owner,member" help:"Role once accepted: owner or member."`
}

func (c *companyInviteCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.CIF)
	if err != nil {
		return err
	}
	inv, err := e.Gateway(nil).Invite(g.ctx, cliActor, comp.ID, c.Email, c.Role)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "invitation %d for %s to %s as %s: pending until %s\n", inv.ID, inv.Email, comp.CIF, inv.Role, inv.ExpiresAt.Format("2006-01-02 15:04 MST"))
	return nil
}

type companyListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array of {cif, name, id, status}."`
}

func (c *companyListCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	cs, err := e.Store.Companies(g.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		out := make([]map[string]any, 0, len(cs))
		for _, x := range cs {
			out = append(out, map[string]any{"cif": x.CIF, "name": x.Name, "id": x.ID, "status": x.Status})
		}
		return json.NewEncoder(g.stdout).Encode(out)
	}
	for _, x := range cs {
		fmt.Fprintf(g.stdout, "%s\t%s\t%s\n", x.CIF, x.Name, x.Status)
	}
	return nil
}

// ---- API keys

type apikeyCmd struct {
	Create apikeyCreateCmd `cmd:"" help:"Create an API key; prints only the key."`
	List   apikeyListCmd   `cmd:"" help:"List a company's keys."`
	Revoke apikeyRevokeCmd `cmd:"" help:"Revoke a key by id."`
}

type apikeyCreateCmd struct {
	Company string `required:"" placeholder:"CIF" help:"The company's CIF (with or without RO)."`
	Name    string `default:"cli" help:"A name for the key."`
	Scope   string `default:"read" enum:"read,write" help:"read or write (write includes read)."`
}

// userByEmail finds a user; "no user" only when there is none (a database
// failure is reported as itself).
func userByEmail(g *globals, e *app.Env, email string) (*store.User, error) {
	u, err := e.Store.UserByEmail(g.ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no user with e-mail %s", email)
	}
	return u, err
}

func companyByCIF(g *globals, e *app.Env, s string) (*store.Company, error) {
	d, err := cif.Normalize(s)
	if err != nil {
		return nil, usageErr("%s: %v", s, err)
	}
	c, err := e.Store.CompanyByCIF(g.ctx, d)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no company with CIF %s", d)
	}
	return c, err
}

func (c *apikeyCreateCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.Company)
	if err != nil {
		return err
	}
	key, _, err := e.Gateway(nil).CreateAPIKey(g.ctx, cliActor, comp.ID, c.Name, c.Scope)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, key)
	return nil
}

type apikeyListCmd struct {
	Company string `required:"" placeholder:"CIF"`
	JSON    bool   `name:"json"`
}

func (c *apikeyListCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.Company)
	if err != nil {
		return err
	}
	keys, err := e.Gateway(nil).APIKeys(g.ctx, cliActor, comp.ID)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		m := map[string]any{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "scope": k.Scope, "created_at": k.CreatedAt.UTC().Format(time.RFC3339), "last_used_at": nil, "revoked": k.RevokedAt != nil}
		if k.LastUsedAt != nil {
			m["last_used_at"] = k.LastUsedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, m)
	}
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(out)
	}
	for _, k := range keys {
		state := "active"
		if k.RevokedAt != nil {
			state = "revoked"
		}
		fmt.Fprintf(g.stdout, "%d\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, k.Scope, state)
	}
	return nil
}

type apikeyRevokeCmd struct {
	Company string `required:"" placeholder:"CIF"`
	ID      int64  `arg:"" help:"The key's id (apikey list)."`
}

func (c *apikeyRevokeCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.Company)
	if err != nil {
		return err
	}
	if err := e.Gateway(nil).RevokeAPIKey(g.ctx, cliActor, comp.ID, c.ID); err != nil {
		if errors.Is(err, gateway.ErrNotFound) {
			return fmt.Errorf("company %s has no active key %d", comp.CIF, c.ID)
		}
		return err
	}
	fmt.Fprintf(g.stdout, "key %d revoked\n", c.ID)
	return nil
}

// ---- sync

type syncCmd struct {
	Company string `required:"" placeholder:"CIF" help:"The company's CIF."`
}

func (c *syncCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.Company)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(e.Cfg.DataDir, "demo-credentials.txt")); err == nil &&
		e.Cfg.ANAFBaseURL == "https://api.anaf.ro" && e.Cfg.ANAFClientID == "" {
		return errors.New("this data directory was made by `serve --demo`, whose ANAF simulator runs inside the server: start `serve --demo` again (it syncs on every start) or point EFACTURA_ANAF_BASE_URL and EFACTURA_ANAF_OAUTH_URL at a simulator")
	}
	if _, err := e.ANAFClientFunc()(g.ctx); err != nil {
		return err
	}
	engine := e.SyncEngine()
	tty := isTerminal(g.stderr)
	last := time.Time{}
	res, err := engine.SyncCompany(g.ctx, comp.ID, func(p anafsync.Progress) {
		if p.Phase == "done" || (!tty && time.Since(last) < 2*time.Second) {
			return // the summary on stdout says how it ended
		}
		last = time.Now()
		line := fmt.Sprintf("sync %s: %s page %d/%d, %d/%d new %d failed %d", comp.CIF, p.Phase, p.Page, max(p.Pages, p.Page), p.Done, p.Todo, p.New, p.Failed)
		if tty {
			fmt.Fprintf(g.stderr, "\r%s %s\x1b[K", progressBar(p.Done, p.Todo, 24), line)
		} else {
			fmt.Fprintln(g.stderr, line)
		}
	})
	if tty {
		fmt.Fprintln(g.stderr)
	}
	var qw *anafsync.QuotaWaitError
	if errors.As(err, &qw) {
		return &exitError{code: 1, err: fmt.Errorf("%w; `efactura serve` resumes this sync then (or run sync again after it)", err)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "company %s: found %d, new %d, failed %d (%.1fs)\n", comp.CIF, res.Found, res.New, res.Failed, res.Duration.Seconds())
	if res.Warning != "" {
		fmt.Fprintf(g.stderr, "warning: %s\n", res.Warning)
	}
	if res.Failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d messages could not be archived; run sync again", res.Failed)}
	}
	return nil
}

// progressBar renders done/total as [#####.....] of width cells.
func progressBar(done, total, width int) string {
	filled := 0
	if total > 0 {
		filled = min(width, done*width/total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ---- parse

type parseCmd struct {
	Files []string `arg:"" name:"FILE" help:"UBL Invoice or CreditNote files."`
	JSON  bool     `name:"json" help:"One JSON object per line, per file."`
}

func (c *parseCmd) Run(g *globals) error {
	failed := 0
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	var lastErr error
	for _, f := range c.Files {
		data, err := readInvoiceFile(f) // its errors name the file
		var inv *invoice.Invoice
		if err == nil {
			if inv, err = invoice.Parse(data); err != nil {
				err = fmt.Errorf("%s: %w", f, err)
			}
		}
		if err != nil {
			failed++
			lastErr = err
			if c.JSON {
				_ = enc.Encode(map[string]string{"file": f, "error": err.Error()})
			} else if len(c.Files) > 1 {
				fmt.Fprintln(g.stderr, lastErr)
			}
			continue
		}
		if c.JSON {
			b, _ := json.Marshal(inv)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			out := map[string]any{"file": f}
			for k, v := range m {
				out[k] = v
			}
			if err := enc.Encode(out); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(g.stdout, "%s: %s %s %s, %s → %s, total %s %s, %d lines\n", f, inv.DocumentType, inv.Number, inv.IssueDate,
			inv.Seller.Name, inv.Buyer.Name, inv.Totals.TaxInclusive, inv.Currency, len(inv.Lines))
	}
	if failed > 0 && len(c.Files) == 1 {
		return &exitError{code: 1, err: lastErr} // one line: the file and why
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files could not be parsed", failed, len(c.Files))}
	}
	return nil
}
