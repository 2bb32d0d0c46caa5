// Package deploy holds the deployment files (Dockerfile, compose.yaml,
// nginx, systemd, Prometheus rules). No Docker engine runs where the tests
// do, so this test checks their shape: the compose file parses and keeps
// secrets out, the Dockerfile is multi-stage, static and non-root.
package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestComposeFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	type service struct {
		Image       string            `yaml:"image"`
		EnvFile     any               `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Secrets     []string          `yaml:"secrets"`
		Ports       []string          `yaml:"ports"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
		ReadOnly    bool              `yaml:"read_only"`
	}
	var c struct {
		Services map[string]service `yaml:"services"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	require.NoError(t, yaml.Unmarshal(b, &c))
	for _, s := range []string{"gateway-1", "gateway-2", "postgres", "redis", "proxy"} {
		require.Contains(t, c.Services, s)
		require.Nil(t, c.Services[s].EnvFile, "%s: no shared env_file (it handed every secret to every container)", s)
	}
	for _, g := range []string{"gateway-1", "gateway-2"} {
		s := c.Services[g]
		require.Equal(t, "production", s.Environment["EFACTURA_ENV"])
		require.Equal(t, "redis://redis:6379/0", s.Environment["REDIS_URL"], "replicas share rate limits")
		require.Empty(t, s.Ports, "replicas are reached through the proxy only")
		require.True(t, s.ReadOnly, "read-only root filesystem")
		for _, v := range []string{"DATABASE_URL", "EFACTURA_SECRET_KEY", "EFACTURA_ENCRYPTION_KEY", "EFACTURA_ANAF_CLIENT_SECRET"} {
			require.NotContains(t, s.Environment, v, "%s: %s comes from a secret file", g, v)
			require.Contains(t, s.Environment, v+"_FILE", g)
			name := strings.TrimPrefix(s.Environment[v+"_FILE"], "/run/secrets/")
			require.Contains(t, s.Secrets, name, "%s: %s_FILE names a secret the service gets", g, v)
		}
		require.NotContains(t, s.Secrets, "postgres_password", g)
	}
	// PostgreSQL gets its own password and nothing of the gateway's.
	pg := c.Services["postgres"]
	require.Equal(t, []string{"postgres_password"}, pg.Secrets)
	for k := range pg.Environment {
		require.True(t, strings.HasPrefix(k, "POSTGRES_"), "postgres gets only POSTGRES_* variables, not %s", k)
	}
	require.Equal(t, "/run/secrets/postgres_password", pg.Environment["POSTGRES_PASSWORD_FILE"])
	require.NotEmpty(t, pg.Healthcheck)
	for _, s := range []string{"redis", "proxy"} {
		require.Empty(t, c.Services[s].Secrets, s)
	}
	for name, sec := range c.Secrets {
		require.Equal(t, "./secrets/"+name, sec.File, "secrets live in deploy/secrets/")
	}
	require.Contains(t, c.Services["proxy"].Ports, "443:443")

	// No secret in the file: no password, key or token values.
	secret := regexp.MustCompile(`(?i)(PASSWORD|SECRET|_KEY|TOKEN)[ \t]*[:=][ \t]*[^/\s]\S*`)
	require.Empty(t, secret.FindAllString(string(b), -1))
	require.NotContains(t, string(b), "postgres://", "DATABASE_URL (with its password) is a secret file")

	// .env and the secrets are not committed; the example has no secret at
	// all (an empty POSTGRES_PASSWORD= line kept PostgreSQL from starting).
	ignore, err := os.ReadFile(".gitignore")
	require.NoError(t, err)
	require.Contains(t, strings.Split(string(ignore), "\n"), ".env")
	require.Contains(t, strings.Split(string(ignore), "\n"), "secrets/")
	ex, err := os.ReadFile(".env.example")
	require.NoError(t, err)
	for _, l := range strings.Split(string(ex), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		require.NotRegexp(t, `(?i)PASSWORD|SECRET|_KEY=|TOKEN|DATABASE_URL`, l, "no secret in .env.example")
	}

	// The build context leaves out history, local data and secrets.
	di, err := os.ReadFile("../.dockerignore")
	require.NoError(t, err)
	for _, want := range []string{".git", "deploy/.env", "deploy/secrets", "/data"} {
		require.Contains(t, strings.Split(string(di), "\n"), want)
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	var stages []string
	var user string
	var lastFrom int
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			require.GreaterOrEqual(t, len(f), 4, "every stage is named: %q", l)
			stages = append(stages, f[3])
			lastFrom = i
		case "USER":
			if i > lastFrom {
				user = f[1]
			}
		}
	}
	require.Equal(t, []string{"build", "runtime"}, stages, "multi-stage")
	require.NotEmpty(t, user, "the final stage sets USER")
	require.NotContains(t, []string{"root", "0", "root:root", "0:0"}, user)
	require.Contains(t, string(b), "CGO_ENABLED=0", "static binary")
	require.Contains(t, string(b), "COPY --from=build")
	// The HEALTHCHECK follows EFACTURA_ADDR, not a fixed port.
	require.Regexp(t, `(?m)^HEALTHCHECK .*\n\s+CMD \["sh", "-c", ".*EFACTURA_ADDR.*exec efactura probe .*/healthz.*"\]`, string(b))
	require.NotContains(t, string(b), "127.0.0.1:8080/healthz")
	// Backups are native (issue 18 item 4): no PostgreSQL client tools in the image.
	instructions := strings.ToLower(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(string(b), ""))
	for _, pkg := range []string{"postgresql-client", "pg_dump", "libpq"} {
		require.NotContains(t, instructions, pkg)
	}
}

func TestSystemdUnitAndNginx(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("systemd/efactura.service")
	require.NoError(t, err)
	for _, want := range []string{"User=efactura", "ExecStart=/usr/local/bin/efactura serve", "KillSignal=SIGTERM", "NoNewPrivileges=yes"} {
		require.Contains(t, string(unit), want)
	}
	conf, err := os.ReadFile("nginx/efactura.conf")
	require.NoError(t, err)
	for _, want := range []string{
		"proxy_set_header X-Forwarded-For", "proxy_set_header X-Forwarded-Proto $scheme", "ssl_certificate ", "location = /metrics { return 404; }",
		"listen 443 ssl http2;",                          // nginx 1.22 (Debian 12) has no "http2 on;"
		"proxy_set_header Host              $http_host;", // keeps a non-443 port
		"proxy_next_upstream         error timeout http_502 http_503;",
		"server_tokens off;",
		`add_header Strict-Transport-Security "max-age=63072000" always;`,
	} {
		require.Contains(t, string(conf), want)
	}
	require.NotRegexp(t, `(?m)^\s*http2 on;`, string(conf), "nginx 1.22 rejects it")
	require.Regexp(t, `(?m)^\s*server gateway-1:8080 max_fails=1 fail_timeout=2s;`, string(conf))
	// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only.
	m := regexp.MustCompile(`(?m)^\s*ssl_ciphers (\S+);`).FindStringSubmatch(string(conf))
	require.Len(t, m, 2)
	for _, suite := range strings.Split(m[1], ":") {
		require.Regexp(t, `^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$`, suite)
	}
}

// TestSystemdUnitExposure runs systemd-analyze on the unit (offline, so no
// running systemd is needed) and keeps its exposure under 2.5 ("OK").
func TestSystemdUnitExposure(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; the unit's exposure is not scored")
	}
	out, err := exec.Command(bin, "security", "--offline=yes", "systemd/efactura.service").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Overall exposure") {
		t.Skipf("systemd-analyze security --offline cannot score here: %v: %s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for efactura\.service: ([0-9.]+)`).FindStringSubmatch(string(out))
	require.Len(t, m, 2, "%s", out)
	score, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	require.Less(t, score, 2.5, "systemd-analyze security exposure\n%s", out)
}

// TestSmokeInCI keeps deploy/smoke.sh in .ci/run, with its own budget,
// before the test suite, and the rolling script one replica at a time.
func TestSmokeInCI(t *testing.T) {
	t.Parallel()
	ci, err := os.ReadFile("../.ci/run")
	require.NoError(t, err)
	smoke := strings.Index(string(ci), "\ntimeout 600 deploy/smoke.sh\n")
	require.GreaterOrEqual(t, smoke, 0, ".ci/run calls deploy/smoke.sh under timeout 600")
	require.Less(t, smoke, strings.Index(string(ci), "go test -timeout 25m ./..."))
	for _, f := range []string{"smoke.sh", "rolling.sh", "smoke/docker-entrypoint.sh"} {
		st, err := os.Stat(f)
		require.NoError(t, err)
		require.NotZero(t, st.Mode()&0o111, "%s is executable", f)
	}
	require.Contains(t, string(ci), "\ntimeout 120 deploy/docs-check.sh\n", ".ci/run runs the docs' configuration checks")
	st, err := os.Stat("docs-check.sh")
	require.NoError(t, err)
	require.NotZero(t, st.Mode()&0o111, "docs-check.sh is executable")
	r, err := os.ReadFile("rolling.sh")
	require.NoError(t, err)
	require.Contains(t, string(r), `$COMPOSE restart --no-deps "$s"`)
	require.Contains(t, string(r), `$COMPOSE up -d --no-deps --no-build "$s"`)
	require.Contains(t, string(r), "/readyz")
}
