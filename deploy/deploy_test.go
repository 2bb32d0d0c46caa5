// Package deploy holds the deployment files (Dockerfile, compose.yaml,
// nginx, systemd, Prometheus rules). No Docker engine runs where the tests
// do, so this test checks their shape: the compose file parses and keeps
// secrets out, the Dockerfile is multi-stage, static and non-root.
package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestComposeFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			EnvFile     any               `yaml:"env_file"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(b, &c))
	for _, s := range []string{"gateway-1", "gateway-2", "postgres", "redis", "proxy"} {
		require.Contains(t, c.Services, s)
	}
	for _, g := range []string{"gateway-1", "gateway-2"} {
		s := c.Services[g]
		require.Equal(t, ".env", s.EnvFile, "%s takes its secrets from .env", g)
		require.Equal(t, "production", s.Environment["EFACTURA_ENV"])
		require.Equal(t, "redis://redis:6379/0", s.Environment["REDIS_URL"], "replicas share rate limits")
		require.Empty(t, s.Ports, "replicas are reached through the proxy only")
	}
	require.Contains(t, c.Services["proxy"].Ports, "443:443")
	require.NotEmpty(t, c.Services["postgres"].Healthcheck)

	// No secret in the file: no password, key or token values.
	secret := regexp.MustCompile(`(?i)(PASSWORD|SECRET|_KEY|TOKEN)\s*[:=]\s*\S+`)
	require.Empty(t, secret.FindAllString(string(b), -1))
	require.NotContains(t, string(b), "postgres://", "DATABASE_URL (with its password) is in .env")

	// The env file is not committed; its example has no values for secrets.
	ignore, err := os.ReadFile(".gitignore")
	require.NoError(t, err)
	require.Contains(t, strings.Split(string(ignore), "\n"), ".env")
	ex, err := os.ReadFile(".env.example")
	require.NoError(t, err)
	for _, l := range strings.Split(string(ex), "\n") {
		for _, k := range []string{"EFACTURA_SECRET_KEY=", "EFACTURA_ENCRYPTION_KEY=", "POSTGRES_PASSWORD=", "EFACTURA_ANAF_CLIENT_SECRET="} {
			if strings.HasPrefix(l, k) {
				require.Equal(t, k, l, "no value in .env.example")
			}
		}
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
	require.Regexp(t, `(?m)^HEALTHCHECK .*\n\s+CMD \["efactura", "probe", "http://127\.0\.0\.1:8080/healthz"\]`, string(b))
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
	for _, want := range []string{"proxy_set_header X-Forwarded-For", "proxy_set_header X-Forwarded-Proto $scheme", "ssl_certificate ", "location = /metrics { return 404; }"} {
		require.Contains(t, string(conf), want)
	}
}
