// Package config reads the gateway's configuration from the environment
// (PRODUCT.md §7). Development needs no variable at all: secrets are
// generated once and kept under the data directory. Production refuses to
// start, with one sentence naming the variable, when a secret or the
// database is missing, weak or a development default.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultDatabaseURL is the development database.
const DefaultDatabaseURL = "sqlite:./data/efactura.db"

// Config is the typed configuration. Durations are time.Duration, limits per minute.
type Config struct {
	Env         string // "development" | "production"
	Addr        string // listen address, default 127.0.0.1:8080
	BaseURL     string // public URL without trailing slash
	DataDir     string // ./data (development secrets, demo state)
	DatabaseURL string
	AutoMigrate bool
	RedisURL    string

	SecretKey     string // ≥ 32 characters
	EncryptionKey string // kid:base64-of-32-bytes[,kid:…], newest first

	TrustedProxies []*net.IPNet
	LogLevel       string
	LogFormat      string // json | text
	LogFile        string
	MetricsAddr    string
	MetricsToken   string

	ANAFEnv          string // prod | test
	ANAFBaseURL      string // scheme+host
	ANAFOAuthURL     string // scheme+host
	ANAFClientID     string
	ANAFClientSecret string

	Registration       string // open | closed
	RateLimitKeyPerMin int
	RateLimitIPPerMin  int

	DBMaxConns        int
	DBMinConns        int
	DBMaxConnLifetime time.Duration

	// Login throttling (PRODUCT.md §9): failed logins allowed per
	// LoginFailureWindow, counted in the database across replicas.
	LoginFailuresPerAccountIP int // per (account, client address), default 10
	LoginFailuresPerIP        int // per client address, default 50
	LoginFailuresPerAccount   int // per account from any address, default 200
	LoginFailureWindow        time.Duration

	// ShutdownDrain is how long a replica told to stop (SIGTERM) keeps
	// serving with /readyz answering 503, so the load balancer takes it
	// out before it stops accepting (EFACTURA_SHUTDOWN_DRAIN; production
	// default 10s, development 0).
	ShutdownDrain time.Duration

	// E-mail (issue 19; mail.go): EFACTURA_SMTP_URL and EFACTURA_MAIL_FROM;
	// mail is off when SMTPURL is empty.
	SMTPURL  string
	MailFrom string
	// Webhooks (webhooks.go): address ranges deliveries may reach
	// although not public (EFACTURA_WEBHOOK_ALLOW_CIDRS), and whether
	// http:// endpoints are accepted (development only).
	WebhookAllowCIDRs []netip.Prefix
	WebhookAllowHTTP  bool
}

// Production reports whether EFACTURA_ENV=production.
func (c *Config) Production() bool { return c.Env == "production" }

// Getenv reads one variable; os.Getenv in production code, a map in tests.
type Getenv func(string) string

// Load reads the configuration. In development, missing secrets are
// generated and kept under DataDir (created 0700) so restarts keep sessions
// and encrypted tokens valid.
func Load(getenv Getenv) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	l := &loader{getenv: getenv}
	c := l.basics()
	if l.fileErr != nil {
		return nil, l.fileErr
	}
	if c.Env != "development" && c.Env != "production" {
		return nil, fmt.Errorf("EFACTURA_ENV must be development or production, not %q", c.Env)
	}
	dbURL := l.get("DATABASE_URL", "")
	// The checks run in this order: the first failure is the one reported.
	for _, check := range []func() error{
		func() error { return l.limits(c) },
		func() error { return checkANAF(c) },
		func() error { return l.trustedProxies(c) },
		func() error { return l.webhooks(c) },
		func() error { return checkConnections(c, dbURL) },
		func() error { return l.mail(c) },
		func() error {
			if c.Production() {
				return l.production(c, dbURL)
			}
			return l.development(c, dbURL)
		},
	} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return nil, fmt.Errorf("EFACTURA_LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	return c, nil
}

// loader reads variables for Load: NAME, or else the trimmed contents of
// the file NAME_FILE names.
type loader struct {
	getenv Getenv
	// fileErr is the first NAME_FILE that could not be read. Load reports
	// it only for the variables basics reads.
	fileErr error
}

// get returns name's value, the contents of the file name_FILE names, or
// def. An unreadable file gives def and sets l.fileErr (the first one).
func (l *loader) get(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	if f := strings.TrimSpace(l.getenv(name + "_FILE")); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			if l.fileErr == nil {
				l.fileErr = fmt.Errorf("%s_FILE names %s, which cannot be read: %w", name, f, errors.Unwrap(err))
			}
			return def
		}
		return strings.TrimSpace(string(b))
	}
	return def
}

// basics reads the plain string settings, unchecked.
func (l *loader) basics() *Config {
	return &Config{
		Env:              l.get("EFACTURA_ENV", "development"),
		Addr:             l.get("EFACTURA_ADDR", "127.0.0.1:8080"),
		DataDir:          l.get("EFACTURA_DATA_DIR", "./data"),
		RedisURL:         l.get("REDIS_URL", ""),
		SecretKey:        l.get("EFACTURA_SECRET_KEY", ""),
		EncryptionKey:    l.get("EFACTURA_ENCRYPTION_KEY", ""),
		LogLevel:         l.get("EFACTURA_LOG_LEVEL", ""),
		LogFormat:        l.get("EFACTURA_LOG_FORMAT", ""),
		LogFile:          l.get("EFACTURA_LOG_FILE", ""),
		MetricsAddr:      l.get("EFACTURA_METRICS_ADDR", ""),
		MetricsToken:     l.get("EFACTURA_METRICS_TOKEN", ""),
		ANAFEnv:          l.get("EFACTURA_ANAF_ENV", "prod"),
		ANAFBaseURL:      strings.TrimRight(l.get("EFACTURA_ANAF_BASE_URL", "https://api.anaf.ro"), "/"),
		ANAFOAuthURL:     strings.TrimRight(l.get("EFACTURA_ANAF_OAUTH_URL", "https://logincert.anaf.ro"), "/"),
		ANAFClientID:     l.get("EFACTURA_ANAF_CLIENT_ID", ""),
		ANAFClientSecret: l.get("EFACTURA_ANAF_CLIENT_SECRET", ""),
		Registration:     l.get("EFACTURA_REGISTRATION", "open"),
	}
}

// limits reads auto-migration, the rate limits, the database pool and the
// login-failure limits.
func (l *loader) limits(c *Config) error {
	var err error
	if c.AutoMigrate, err = parseBool(l.get("EFACTURA_AUTO_MIGRATE", "true")); err != nil {
		return fmt.Errorf("EFACTURA_AUTO_MIGRATE: %w", err)
	}
	for _, it := range []struct {
		name  string
		def   int
		least int // 0: non-negative, 1: positive
		dst   *int
	}{
		{"EFACTURA_RATE_LIMIT_KEY_PER_MIN", 600, 0, &c.RateLimitKeyPerMin},
		{"EFACTURA_RATE_LIMIT_IP_PER_MIN", 60, 0, &c.RateLimitIPPerMin},
		{"EFACTURA_DB_MAX_CONNS", 10, 0, &c.DBMaxConns},
		{"EFACTURA_DB_MIN_CONNS", 1, 0, &c.DBMinConns},
		{"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT_IP", 10, 1, &c.LoginFailuresPerAccountIP},
		{"EFACTURA_LOGIN_FAILURES_PER_IP", 50, 1, &c.LoginFailuresPerIP},
		{"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT", 200, 1, &c.LoginFailuresPerAccount},
	} {
		v := l.get(it.name, strconv.Itoa(it.def))
		n, err := strconv.Atoi(v)
		if err != nil || n < it.least {
			what := "a non-negative integer"
			if it.least > 0 {
				what = "a positive integer"
			}
			return fmt.Errorf("%s must be %s, not %q", it.name, what, v)
		}
		*it.dst = n
	}
	window := l.get("EFACTURA_LOGIN_FAILURE_WINDOW", "15m")
	if c.LoginFailureWindow, err = time.ParseDuration(window); err != nil || c.LoginFailureWindow < time.Second {
		return fmt.Errorf("EFACTURA_LOGIN_FAILURE_WINDOW must be a duration of at least 1s such as 15m, not %q", window)
	}
	if c.DBMaxConnLifetime, err = time.ParseDuration(l.get("EFACTURA_DB_MAX_CONN_LIFETIME", "30m")); err != nil {
		return fmt.Errorf("EFACTURA_DB_MAX_CONN_LIFETIME must be a duration such as 30m: %w", err)
	}
	def := "0s"
	if c.Production() {
		def = "10s"
	}
	drain := l.get("EFACTURA_SHUTDOWN_DRAIN", def)
	if c.ShutdownDrain, err = time.ParseDuration(drain); err != nil || c.ShutdownDrain < 0 || c.ShutdownDrain > 10*time.Minute {
		return fmt.Errorf("EFACTURA_SHUTDOWN_DRAIN must be a duration between 0s and 10m such as 10s, not %q", drain)
	}
	return nil
}

// checkANAF checks the ANAF environment, the registration mode and the
// ANAF URLs.
func checkANAF(c *Config) error {
	if c.ANAFEnv != "prod" && c.ANAFEnv != "test" {
		return fmt.Errorf("EFACTURA_ANAF_ENV must be prod or test, not %q", c.ANAFEnv)
	}
	if c.Registration != "open" && c.Registration != "closed" {
		return fmt.Errorf("EFACTURA_REGISTRATION must be open or closed, not %q", c.Registration)
	}
	for _, u := range []struct{ name, v string }{
		{"EFACTURA_ANAF_BASE_URL", c.ANAFBaseURL},
		{"EFACTURA_ANAF_OAUTH_URL", c.ANAFOAuthURL},
	} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%s must be a scheme and host such as https://api.anaf.ro, not %q", u.name, u.v)
		}
	}
	return nil
}

// trustedProxies reads EFACTURA_TRUSTED_PROXIES: comma-separated CIDRs, a
// bare address standing for itself (/32 or /128).
func (l *loader) trustedProxies(c *Config) error {
	tp := l.get("EFACTURA_TRUSTED_PROXIES", "")
	if tp == "" {
		return nil
	}
	for _, s := range strings.Split(tp, ",") {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			if strings.Contains(s, ":") {
				s += "/128"
			} else {
				s += "/32"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return fmt.Errorf("EFACTURA_TRUSTED_PROXIES: %q is not a CIDR", s)
		}
		if ones, _ := n.Mask.Size(); ones == 0 && c.Production() {
			return fmt.Errorf("EFACTURA_TRUSTED_PROXIES must not contain %s in production: it trusts every address, so any client can choose the address the rate limits and login throttling see; list your proxies' addresses", n)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return nil
}

// checkConnections checks the log level, REDIS_URL and DATABASE_URL's
// shape.
func checkConnections(c *Config, dbURL string) error {
	switch strings.ToLower(c.LogLevel) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("EFACTURA_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") || (u.Scheme != "unix" && u.Host == "") {
			return errors.New("REDIS_URL must be a URL such as redis://host:6379/0 (or rediss://, unix://)")
		}
	}
	if dbURL != "" && !validDatabaseURL(dbURL) {
		return errors.New("DATABASE_URL must start with postgres://, postgresql:// or sqlite:") //nolint:staticcheck // ends with the scheme "sqlite:", not punctuation
	}
	return nil
}

// logDefaults fills an unset log format with format and an unset log
// level with info.
func logDefaults(c *Config, format string) {
	if c.LogFormat == "" {
		c.LogFormat = format
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

// production fills the production defaults and refuses a missing or
// development database, weak secrets and a base URL that is not https.
func (l *loader) production(c *Config, dbURL string) error {
	logDefaults(c, "json")
	if dbURL == "" {
		return errors.New("DATABASE_URL must be set in production (postgres://… or an explicit sqlite: path)")
	}
	if dbURL == DefaultDatabaseURL {
		return errors.New("DATABASE_URL is the development default (" + DefaultDatabaseURL + "): give production its own database")
	}
	c.DatabaseURL = dbURL
	if err := checkPlaceholders(c, dbURL); err != nil {
		return err
	}
	if err := checkSecretKey(c.SecretKey); err != nil {
		return err
	}
	if err := checkEncryptionKey(c.EncryptionKey); err != nil {
		return err
	}
	c.BaseURL = strings.TrimRight(l.get("EFACTURA_BASE_URL", ""), "/")
	if c.BaseURL == "" {
		return errors.New("EFACTURA_BASE_URL must be set in production (the public https:// URL of the gateway)")
	}
	if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("EFACTURA_BASE_URL must be the public https:// URL of the gateway (session cookies are Secure in production), not %q", c.BaseURL)
	}
	return nil
}

// development fills the development defaults: a SQLite database and
// secrets generated once under DataDir.
func (l *loader) development(c *Config, dbURL string) error {
	logDefaults(c, "text")
	c.DatabaseURL = dbURL
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "efactura.db")
	}
	c.BaseURL = strings.TrimRight(l.get("EFACTURA_BASE_URL", "http://"+c.Addr), "/")
	var err error
	if c.SecretKey == "" {
		if c.SecretKey, err = devSecret(c.DataDir, "secret.key", func() string { return "dev-" + randomB64(36) }); err != nil {
			return err
		}
	}
	if c.EncryptionKey == "" {
		if c.EncryptionKey, err = devSecret(c.DataDir, "encryption.key", func() string { return "dev:" + randomB64Std(32) }); err != nil {
			return err
		}
	}
	if len(c.SecretKey) < 32 {
		return errors.New("EFACTURA_SECRET_KEY must be at least 32 characters")
	}
	return checkEncryptionKeyShape(c.EncryptionKey)
}

// WithAddr changes the listen address and, when the base URL was derived
// from it in development, the base URL too.
func (c *Config) WithAddr(addr string) {
	if !c.Production() && c.BaseURL == "http://"+c.Addr {
		c.BaseURL = "http://" + addr
	}
	c.Addr = addr
}

func validDatabaseURL(u string) bool {
	for _, p := range []string{"postgres://", "postgresql://", "sqlite:", "file:"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// placeholderMarkers are the words example files put where a password
// belongs (deploy/.env.example writes CHANGE-ME).
var placeholderMarkers = []string{"change-me", "changeme", "change_me"}

func hasPlaceholder(v string) bool {
	lv := strings.ToLower(v)
	for _, m := range placeholderMarkers {
		if strings.Contains(lv, m) {
			return true
		}
	}
	return false
}

// checkPlaceholders refuses, in production, a password or secret still
// holding an example file's placeholder: the passwords of DATABASE_URL and
// REDIS_URL, the ANAF client secret and the metrics token.
func checkPlaceholders(c *Config, dbURL string) error {
	for _, it := range []struct{ name, url string }{{"DATABASE_URL", dbURL}, {"REDIS_URL", c.RedisURL}} {
		if u, err := url.Parse(it.url); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && hasPlaceholder(pw) {
				return fmt.Errorf("%s holds a placeholder password (CHANGE-ME): set the real password", it.name)
			}
		}
	}
	for _, it := range []struct{ name, v string }{
		{"EFACTURA_ANAF_CLIENT_SECRET", c.ANAFClientSecret},
		{"EFACTURA_METRICS_TOKEN", c.MetricsToken},
	} {
		if hasPlaceholder(it.v) {
			return fmt.Errorf("%s holds a placeholder (CHANGE-ME): set the real value", it.name)
		}
	}
	return nil
}

var weakMarkers = []string{"change-me", "changeme", "change_me", "secret", "password", "example", "default", "development"}

func checkSecretKey(k string) error {
	switch {
	case k == "":
		return errors.New("EFACTURA_SECRET_KEY must be set in production (at least 32 random characters)")
	case len(k) < 32:
		return errors.New("EFACTURA_SECRET_KEY is too short: use at least 32 random characters")
	case strings.HasPrefix(k, "dev-"):
		return errors.New("EFACTURA_SECRET_KEY is a development key: generate a new one for production")
	}
	lk := strings.ToLower(k)
	for _, m := range weakMarkers {
		if strings.Contains(lk, m) {
			return errors.New("EFACTURA_SECRET_KEY looks like a placeholder: use at least 32 random characters")
		}
	}
	distinct := map[rune]bool{}
	for _, r := range k {
		distinct[r] = true
	}
	if len(distinct) < 10 {
		return errors.New("EFACTURA_SECRET_KEY is weak (too few distinct characters): use at least 32 random characters")
	}
	return nil
}

func checkEncryptionKey(k string) error {
	if k == "" {
		return errors.New("EFACTURA_ENCRYPTION_KEY must be set in production (kid:base64-of-32-random-bytes; `efactura keygen` prints one)")
	}
	if err := checkEncryptionKeyShape(k); err != nil {
		return err
	}
	for _, part := range strings.Split(k, ",") {
		kid, b64, _ := strings.Cut(strings.TrimSpace(part), ":")
		raw, _ := base64.StdEncoding.DecodeString(b64)
		if kid == "dev" {
			return errors.New("EFACTURA_ENCRYPTION_KEY holds a development key (kid \"dev\"): generate a new one for production")
		}
		distinct := map[byte]bool{}
		for _, b := range raw {
			distinct[b] = true
		}
		if len(distinct) < 8 {
			return fmt.Errorf("EFACTURA_ENCRYPTION_KEY key %q is weak: use 32 random bytes", kid)
		}
	}
	return nil
}

func checkEncryptionKeyShape(k string) error {
	for _, part := range strings.Split(k, ",") {
		kid, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || kid == "" {
			return errors.New("EFACTURA_ENCRYPTION_KEY must be kid:base64-of-32-bytes (several comma-separated, newest first)")
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			raw, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("EFACTURA_ENCRYPTION_KEY key %q must be base64 of exactly 32 bytes", kid)
		}
	}
	return nil
}

// devSecret returns the content of DataDir/name, creating it with gen() (mode 0600) when absent.
func devSecret(dir, name string, gen func() string) (string, error) {
	p := filepath.Join(dir, name)
	if b, err := os.ReadFile(p); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating data directory %s: %w", dir, err)
	}
	// Written whole to a temporary file, then hard-linked into place: the
	// name appears with its content or not at all, so a process starting
	// at the same moment (serve and a CLI command) never reads it empty.
	v := gen()
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return "", fmt.Errorf("writing development secret %s: %w", p, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // the link, if made, keeps the content
	_, werr := tmp.WriteString(v + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("writing development secret %s: %w", p, werr)
	}
	if err := os.Link(tmp.Name(), p); errors.Is(err, os.ErrExist) { // another process won the race
		b, err := os.ReadFile(p)
		return strings.TrimSpace(string(b)), err
	} else if err != nil {
		return "", fmt.Errorf("writing development secret %s: %w", p, err)
	}
	return v, nil
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomB64Std(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// NewEncryptionKey returns a fresh "kid:base64" entry for EFACTURA_ENCRYPTION_KEY.
func NewEncryptionKey(kid string) string { return kid + ":" + randomB64Std(32) }

// NewSecretKey returns a fresh value for EFACTURA_SECRET_KEY.
func NewSecretKey() string { return randomB64(36) }
