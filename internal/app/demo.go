package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// Demo credentials of the built-in simulator's OAuth application (development only).
const (
	demoClientID     = "efactura-demo-client"
	demoClientSecret = "efactura-demo-secret"
	demoAdminEmail   = "admin@demo.efactura.local"
	demoInvoiceCount = 40
	demoSeed         = 20260115
)

type demoState struct {
	env       *Env
	sim       *anafsim.Server
	simSrv    *http.Server
	adminPass string
	apiKey    string
	companies []store.Company
	keyCIF    string
	// sampleDate is the day the generated samples are dated around (the
	// first run's, kept in demo-credentials.txt so a rerun loads the same
	// documents); "" with --demo-invoices.
	sampleDate string
}

// Close stops the in-process simulator.
func (d *demoState) Close() {
	if d.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.simSrv.Shutdown(ctx)
	}
	if d.sim != nil {
		_ = d.sim.Close()
	}
}

// setupDemo starts (or finds) the simulator, creates the demo admin,
// companies, ANAF connection and API key. It is idempotent over a data
// directory: a second start reuses everything and prints the same lines.
func setupDemo(ctx context.Context, e *Env, invoicesDir string) (*demoState, error) {
	cfg := e.Cfg
	if cfg.Production() {
		return nil, errors.New("--demo refuses to run with EFACTURA_ENV=production")
	}
	d := &demoState{env: e}
	baseSet := cfg.ANAFBaseURL != "https://api.anaf.ro"
	oauthSet := cfg.ANAFOAuthURL != "https://logincert.anaf.ro"
	if baseSet != oauthSet {
		return nil, errors.New("to use an external ANAF simulator set both EFACTURA_ANAF_BASE_URL and EFACTURA_ANAF_OAUTH_URL to its URL (the demo never calls the real ANAF)")
	}
	var names map[string]string // CIF → party name
	var counts map[string]int   // CIF → messages of the loaded set
	var err error
	if baseSet {
		names, counts, err = d.externalSim(ctx, invoicesDir)
	} else {
		names, counts, err = d.startSim(invoicesDir)
	}
	if err != nil {
		return nil, err
	}
	if cfg.ANAFClientID == "" {
		cfg.ANAFClientID, cfg.ANAFClientSecret = demoClientID, demoClientSecret
	}

	credPath := filepath.Join(cfg.DataDir, "demo-credentials.txt")
	saved := readCredentials(credPath)
	admin, err := d.ensureAdmin(ctx, saved["admin_password"])
	if err != nil {
		return nil, err
	}
	cifs, err := d.addCompanies(ctx, admin.ID, names, counts)
	if err != nil {
		return nil, err
	}
	if err := d.ensureAPIKey(ctx, admin.ID, cifs, counts, saved["api_key"]); err != nil {
		return nil, err
	}
	if err := writeCredentials(credPath, map[string]string{"admin_email": demoAdminEmail, "admin_password": d.adminPass, "api_key": d.apiKey, "api_key_cif": d.keyCIF, "sample_date": d.sampleDate}); err != nil {
		return nil, err
	}

	// ANAF connection of the admin, through the simulator's auto-approving
	// consent; again when the stored one is unusable (for instance encrypted
	// with a key that went away with an earlier data directory).
	if t, err := e.Store.ANAFTokenByUser(ctx, admin.ID); err != nil || t.Status != "connected" || !decryptable(e, t) {
		if err := connectDemoANAF(ctx, e, admin.ID); err != nil {
			return nil, fmt.Errorf("connecting the demo admin to the ANAF simulator: %w", err)
		}
	}
	return d, nil
}

// externalSim reads the CIFs of the external simulator at
// EFACTURA_ANAF_BASE_URL from its statistics; each is named "Companie CIF"
// until its invoices give a name.
func (d *demoState) externalSim(ctx context.Context, invoicesDir string) (names map[string]string, counts map[string]int, err error) {
	cfg, logger := d.env.Cfg, d.env.Logger
	if invoicesDir != "" {
		return nil, nil, errors.New("--demo-invoices cannot be used with an external simulator (EFACTURA_ANAF_BASE_URL is set): load invoices into that simulator instead")
	}
	counts, err = simStats(ctx, cfg.ANAFBaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("the external simulator at %s did not answer /__sim/stats: %w", cfg.ANAFBaseURL, err)
	}
	names = map[string]string{}
	for c := range counts {
		names[c] = "Companie " + c
	}
	logger.Info("demo uses an external ANAF simulator", slog.String("url", cfg.ANAFBaseURL), slog.Int("cifs", len(counts)))
	return names, counts, nil
}

// startSim starts the in-process simulator under DataDir/anafsim, loads
// the invoices of invoicesDir (or the generated sample set) into it and
// points the configuration's ANAF URLs at it.
func (d *demoState) startSim(invoicesDir string) (names map[string]string, counts map[string]int, err error) {
	cfg, logger := d.env.Cfg, d.env.Logger
	sim, err := anafsim.New(anafsim.Options{
		StateDir: filepath.Join(cfg.DataDir, "anafsim"), ClientID: demoClientID, ClientSecret: demoClientSecret, AutoApprove: true,
		Logger: slog.New(slog.DiscardHandler), RejectAll: anafsim.NativeRejections,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the ANAF simulator: %w", err)
	}
	d.sim = sim
	var files []invoicegen.File
	if invoicesDir != "" {
		files, err = readInvoiceDir(invoicesDir)
		if err != nil {
			return nil, nil, err
		}
	} else {
		base := d.demoSampleDate()
		files = invoicegen.GenerateAt(demoInvoiceCount, demoSeed, base)
		// An upload ANAF refused, so the errors tab shows an ERORI FACTURA.
		rej := invoicegen.GenerateAt(1, demoSeed+1, base)[0]
		if err := sim.LoadRejection(rej.Name, rej.Data, demoRejection); err != nil {
			logger.Warn("demo: the sample ANAF error message was not loaded", slog.String("error", err.Error()))
		}
	}
	names, counts = map[string]string{}, map[string]int{}
	loaded := d.loadSim(files, names, counts)
	var earlier int
	for c := range sim.CIFs() {
		if counts[c] == 0 {
			earlier++
		}
	}
	if earlier > 0 {
		logger.Warn("demo: the simulator state in the data directory also holds invoices of an earlier sample set; delete the data directory for a clean start",
			slog.String("dir", filepath.Join(cfg.DataDir, "anafsim")), slog.Int("other_companies", earlier))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	d.simSrv = &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.simSrv.Serve(ln) }()
	simURL := "http://" + ln.Addr().String()
	cfg.ANAFBaseURL, cfg.ANAFOAuthURL = simURL, simURL
	logger.Info("demo ANAF simulator started", slog.String("url", simURL), slog.Int("files", loaded), slog.Int("cifs", len(counts)))
	return names, counts, nil
}

// loadSim loads files into d.sim, counting each loaded invoice for its
// seller's and buyer's CIFs and naming each CIF after its first party
// name. It returns how many files were loaded and logs the skipped ones.
func (d *demoState) loadSim(files []invoicegen.File, names map[string]string, counts map[string]int) int {
	loaded := 0
	var skipped []string
	for _, f := range files {
		doc, perr := invoice.Parse(f.Data)
		if perr != nil {
			skipped = append(skipped, f.Name+" (not a UBL invoice: "+perr.Error()+")")
			continue
		}
		if err := d.sim.LoadFile(f.Name, f.Data); err != nil {
			skipped = append(skipped, f.Name+" ("+strings.TrimPrefix(err.Error(), "anafsim: "+f.Name+": ")+")")
			continue
		}
		loaded++
		for _, p := range []invoice.Party{doc.Seller, doc.Buyer} {
			if c := invoice.PartyCIF(p); c != "" {
				counts[c]++
				if names[c] == "" {
					names[c] = p.Name
				}
			}
		}
	}
	if len(skipped) > 0 {
		d.env.Logger.Info("demo: some files were not loaded into the simulator", slog.Int("skipped", len(skipped)),
			slog.String("files", strings.Join(skipped, "; ")))
	}
	return loaded
}

// ensureAdmin creates the demo admin, or finds it and keeps savedPass
// when it still matches (else sets a new password). d.adminPass is the
// password to print.
func (d *demoState) ensureAdmin(ctx context.Context, savedPass string) (*store.User, error) {
	st := d.env.Store
	admin, err := st.UserByEmail(ctx, demoAdminEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.adminPass = randomPassword()
		hash, herr := auth.HashPassword(d.adminPass)
		if herr != nil {
			return nil, herr
		}
		return st.CreateUser(ctx, demoAdminEmail, hash, true, store.UserApproved)
	case err != nil:
		return nil, err
	}
	d.adminPass = savedPass
	if ok, _ := auth.CheckPassword(admin.PasswordHash, d.adminPass); d.adminPass == "" || !ok {
		d.adminPass = randomPassword()
		hash, herr := auth.HashPassword(d.adminPass)
		if herr != nil {
			return nil, herr
		}
		if err := st.SetUserPassword(ctx, admin.ID, hash); err != nil {
			return nil, err
		}
	}
	return admin, nil
}

// addCompanies adds every CIF with messages as a company owned by the
// admin (demo companies skip the check digit) and returns the CIFs in
// ascending order.
func (d *demoState) addCompanies(ctx context.Context, adminID int64, names map[string]string, counts map[string]int) ([]string, error) {
	cifs := make([]string, 0, len(counts))
	for c := range counts {
		cifs = append(cifs, c)
	}
	sort.Slice(cifs, func(i, j int) bool { return cifLess(cifs[i], cifs[j]) })
	// Through the same use case as the pages and the CLI: the admin is the
	// creator (owner, consent on); the first sync verifies each company.
	gw := &gateway.Service{Store: d.env.Store, Logger: d.env.Logger}
	for _, c := range cifs {
		name := names[c]
		if name == "" {
			name = "Companie " + c
		}
		res, err := gw.AddCompany(ctx, gateway.Actor{CLI: true}, adminID, c, name)
		if err != nil {
			return nil, fmt.Errorf("demo company %s: %w", c, err)
		}
		if res.Outcome != gateway.Created && res.Outcome != gateway.AlreadyMember {
			return nil, fmt.Errorf("demo company %s belongs to other users of this data directory: delete %s to start over", c, d.env.Cfg.DataDir)
		}
		d.companies = append(d.companies, *res.Company)
	}
	if len(cifs) == 0 {
		return nil, errors.New("the simulator holds no invoice with a Romanian CIF: nothing to show")
	}
	return cifs, nil
}

// ensureAPIKey sets d.keyCIF to the company with the most invoices (ties
// to the lowest CIF) and d.apiKey to savedKey when it is still that
// company's key, else to a new read key.
func (d *demoState) ensureAPIKey(ctx context.Context, adminID int64, cifs []string, counts map[string]int, savedKey string) error {
	st := d.env.Store
	best := cifs[0]
	for _, c := range cifs { // ascending, so ties keep the numerically lowest CIF
		if counts[c] > counts[best] {
			best = c
		}
	}
	d.keyCIF = best
	keyCompany, err := st.CompanyByCIF(ctx, best)
	if err != nil {
		return err
	}
	d.apiKey = savedKey
	if d.apiKey != "" {
		k, err := st.APIKeyByHash(ctx, auth.HashAPIKey(d.apiKey))
		if err != nil || k.CompanyID != keyCompany.ID {
			d.apiKey = ""
		}
	}
	if d.apiKey == "" {
		key, prefix, hash, err := auth.NewAPIKey()
		if err != nil {
			return err
		}
		if err := st.CreateAPIKey(ctx, &store.APIKey{CompanyID: keyCompany.ID, UserID: adminID, Name: "demo", Prefix: prefix, Hash: hash, Scope: store.ScopeRead}); err != nil {
			return err
		}
		d.apiKey = key
	}
	return nil
}

func (d *demoState) printLines(w io.Writer, url string) {
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintf(w, "url: %s\n", url)
	fmt.Fprintf(w, "admin: %s %s\n", demoAdminEmail, d.adminPass)
	fmt.Fprintf(w, "api key: %s\n", d.apiKey)
	if f, ok := w.(*os.File); ok {
		_ = f.Sync()
	}
}

// startSync syncs every demo company in the background, the key's company first.
func (d *demoState) startSync(ctx context.Context, engine *anafsync.Engine) {
	ordered := append([]store.Company(nil), d.companies...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].CIF == d.keyCIF && ordered[j].CIF != d.keyCIF })
	go func() {
		for _, c := range ordered {
			if ctx.Err() != nil {
				return
			}
			if _, err := engine.SyncCompany(ctx, c.ID, nil); err != nil && !errors.Is(err, anafsync.ErrBusy) {
				d.env.Logger.Warn("demo sync failed", slog.String("cif", c.CIF), slog.String("error", err.Error()))
			}
			d.nameFromInvoices(ctx, c)
		}
	}()
}

// nameFromInvoices names a company learnt from an external simulator's
// statistics ("Companie CIF") after its party name in its first invoice.
func (d *demoState) nameFromInvoices(ctx context.Context, c store.Company) {
	if !strings.HasPrefix(c.Name, "Companie ") {
		return
	}
	rows, _, err := d.env.Store.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 20})
	if err != nil {
		return
	}
	for _, r := range rows {
		name := r.ReceiverName
		if r.CIFEmitent == c.CIF || r.SupplierCIF == c.CIF {
			name = r.IssuerName
		}
		if name != "" {
			c.Name = name
			_ = d.env.Store.UpdateCompany(ctx, &c)
			return
		}
	}
}

// connectDemoANAF runs the OAuth authorization-code flow against an
// auto-approving simulator without a browser.
func connectDemoANAF(ctx context.Context, e *Env, userID int64) error {
	client, err := e.ANAFClientFunc()(ctx)
	if err != nil {
		return err
	}
	state := randomPassword()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, client.AuthCodeURL(state), nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return fmt.Errorf("the simulator did not redirect with a code (status %d): start it with --auto-approve", resp.StatusCode)
	}
	if loc.Query().Get("state") != state {
		return errors.New("the simulator returned another state")
	}
	tok, err := client.Exchange(ctx, loc.Query().Get("code"))
	if err != nil {
		return err
	}
	if err := anafsync.SaveToken(ctx, e.Store, e.Secrets, userID, tok); err != nil {
		return err
	}
	uid := userID
	return e.Store.Audit(ctx, &store.AuditEvent{ActorID: &uid, Action: store.ActionANAFConnect, Target: store.TargetUser(userID), Details: "demo"})
}

func simStats(ctx context.Context, base string) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/__sim/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var st struct {
		Messages map[string]int `json:"messages"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&st); err != nil {
		return nil, err
	}
	return st.Messages, nil
}

func readInvoiceDir(dir string) ([]invoicegen.File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--demo-invoices: %w", err)
	}
	var files []invoicegen.File
	for _, en := range entries {
		if en.IsDir() || !strings.EqualFold(filepath.Ext(en.Name()), ".xml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			return nil, err
		}
		files = append(files, invoicegen.File{Name: en.Name(), Data: b})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--demo-invoices: no .xml file in %s", dir)
	}
	return files, nil
}

// The credentials file: "key: value" lines, mode 0600, development only.
func readCredentials(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func writeCredentials(path string, kv map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# eFactura Gateway demo credentials (development only; delete ./data to start over)\n")
	for _, k := range []string{"admin_email", "admin_password", "api_key", "api_key_cif"} {
		fmt.Fprintf(&b, "%s: %s\n", k, kv[k])
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// cifLess orders digit strings numerically.
func cifLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func decryptable(e *Env, t *store.ANAFToken) bool {
	_, err1 := e.Secrets.Decrypt(t.AccessTokenEnc)
	_, err2 := e.Secrets.Decrypt(t.RefreshTokenEnc)
	return err1 == nil && err2 == nil
}

func randomPassword() string { return config.NewSecretKey()[:20] }

// demoRejection is ANAF's error text of the demo's refused upload.
const demoRejection = "E: validari globale  SCHEMATRON   eroare: [BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110)."

// demoSampleDate is the day the generated samples are dated around: the
// one saved by an earlier run in the data directory, else today (so this
// month's figures are not empty). It sets d.sampleDate.
func (d *demoState) demoSampleDate() time.Time {
	saved := readCredentials(filepath.Join(d.env.Cfg.DataDir, "demo-credentials.txt"))["sample_date"]
	day, err := time.Parse(time.DateOnly, saved)
	if err != nil {
		l := time.Now().In(tz.Bucharest())
		day = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	}
	d.sampleDate = day.Format(time.DateOnly)
	return day
}
