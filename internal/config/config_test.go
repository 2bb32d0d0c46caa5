package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDevelopmentNeedsNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir}))
	require.NoError(t, err)
	require.Equal(t, "sqlite:"+dir+"/efactura.db", c.DatabaseURL)
	require.Equal(t, "http://127.0.0.1:8080", c.BaseURL)
	require.GreaterOrEqual(t, len(c.SecretKey), 32)
	// A second load keeps the generated secrets.
	c2, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir}))
	require.NoError(t, err)
	require.Equal(t, c.SecretKey, c2.SecretKey)
	require.Equal(t, c.EncryptionKey, c2.EncryptionKey)
}

func TestProductionRefusesWeakOrMissing(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"EFACTURA_ENV":            "production",
		"DATABASE_URL":            "postgres://u@db/efactura",
		"EFACTURA_SECRET_KEY":     NewSecretKey(),
		"EFACTURA_ENCRYPTION_KEY": NewEncryptionKey("k1"),
		"EFACTURA_BASE_URL":       "https://gw.example",
	}
	_, err := Load(env(good))
	require.NoError(t, err)

	cases := []struct {
		name, key, value, want string
	}{
		{"NoSecret", "EFACTURA_SECRET_KEY", "", "EFACTURA_SECRET_KEY"},
		{"ShortSecret", "EFACTURA_SECRET_KEY", "abc", "EFACTURA_SECRET_KEY"},
		{"PlaceholderSecret", "EFACTURA_SECRET_KEY", "change-me-change-me-change-me-1234567", "EFACTURA_SECRET_KEY"},
		{"DevSecret", "EFACTURA_SECRET_KEY", "dev-" + NewSecretKey(), "EFACTURA_SECRET_KEY"},
		{"NoEncKey", "EFACTURA_ENCRYPTION_KEY", "", "EFACTURA_ENCRYPTION_KEY"},
		{"BadEncKey", "EFACTURA_ENCRYPTION_KEY", "k1:c2hvcnQ=", "EFACTURA_ENCRYPTION_KEY"},
		{"DevEncKey", "EFACTURA_ENCRYPTION_KEY", NewEncryptionKey("dev"), "EFACTURA_ENCRYPTION_KEY"},
		{"ZeroEncKey", "EFACTURA_ENCRYPTION_KEY", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "EFACTURA_ENCRYPTION_KEY"},
		{"NoDatabase", "DATABASE_URL", "", "DATABASE_URL"},
		{"DefaultDatabase", "DATABASE_URL", DefaultDatabaseURL, "DATABASE_URL"},
		{"NoBaseURL", "EFACTURA_BASE_URL", "", "EFACTURA_BASE_URL"},
		{"BaseURLWithoutScheme", "EFACTURA_BASE_URL", "gw.example", "EFACTURA_BASE_URL"},
		{"BaseURLPlainHTTP", "EFACTURA_BASE_URL", "http://gw.example", "EFACTURA_BASE_URL"},
		{"BadRedis", "REDIS_URL", "notaurl", "REDIS_URL"},
		{"BadLogLevel", "EFACTURA_LOG_LEVEL", "loud", "EFACTURA_LOG_LEVEL"},
		{"MySQL", "DATABASE_URL", "mysql://x", "DATABASE_URL"},
		{"MissingSecretFile", "EFACTURA_SECRET_KEY_FILE", "/nonexistent/secret", "EFACTURA_SECRET_KEY_FILE"},
		{"TrustEveryIPv4", "EFACTURA_TRUSTED_PROXIES", "10.0.0.1, 0.0.0.0/0", "EFACTURA_TRUSTED_PROXIES"},
		{"TrustEveryIPv6", "EFACTURA_TRUSTED_PROXIES", "::/0", "EFACTURA_TRUSTED_PROXIES"},
		{"PlaceholderDatabasePassword", "DATABASE_URL", "postgres://efactura:CHANGE-ME@postgres:5432/efactura?sslmode=disable", "DATABASE_URL"},
		{"PlaceholderRedisPassword", "REDIS_URL", "redis://:change-me@redis:6379/0", "REDIS_URL"},
		{"PlaceholderANAFSecret", "EFACTURA_ANAF_CLIENT_SECRET", "CHANGE-ME", "EFACTURA_ANAF_CLIENT_SECRET"},
		{"PlaceholderMetricsToken", "EFACTURA_METRICS_TOKEN", "CHANGEME-token", "EFACTURA_METRICS_TOKEN"},
		{"BadDrain", "EFACTURA_SHUTDOWN_DRAIN", "-1s", "EFACTURA_SHUTDOWN_DRAIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := map[string]string{}
			for k, v := range good {
				m[k] = v
			}
			m[tc.key] = tc.value
			if strings.HasSuffix(tc.key, "_FILE") {
				delete(m, strings.TrimSuffix(tc.key, "_FILE"))
			}
			_, err := Load(env(m))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.False(t, strings.Contains(err.Error(), "\n"), "one sentence")
		})
	}
}

func TestLoginThrottleSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir}))
	require.NoError(t, err)
	require.Equal(t, 10, c.LoginFailuresPerAccountIP)
	require.Equal(t, 50, c.LoginFailuresPerIP)
	require.Equal(t, 200, c.LoginFailuresPerAccount)
	require.Equal(t, 15*time.Minute, c.LoginFailureWindow)

	c, err = Load(env(map[string]string{"EFACTURA_DATA_DIR": dir,
		"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT_IP": "5", "EFACTURA_LOGIN_FAILURES_PER_IP": "20",
		"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT": "100", "EFACTURA_LOGIN_FAILURE_WINDOW": "30m"}))
	require.NoError(t, err)
	require.Equal(t, 5, c.LoginFailuresPerAccountIP)
	require.Equal(t, 20, c.LoginFailuresPerIP)
	require.Equal(t, 100, c.LoginFailuresPerAccount)
	require.Equal(t, 30*time.Minute, c.LoginFailureWindow)

	for k, v := range map[string]string{
		"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT_IP": "0",
		"EFACTURA_LOGIN_FAILURES_PER_IP":         "many",
		"EFACTURA_LOGIN_FAILURES_PER_ACCOUNT":    "-1",
		"EFACTURA_LOGIN_FAILURE_WINDOW":          "15",
	} {
		_, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir, k: v}))
		require.Error(t, err, k)
		require.Contains(t, err.Error(), k)
	}
}

func TestShutdownDrainDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": t.TempDir()}))
	require.NoError(t, err)
	require.Zero(t, c.ShutdownDrain, "development stops at once")
	prod := map[string]string{
		"EFACTURA_ENV":             "production",
		"DATABASE_URL":             "postgres://u:a-real-password@db/efactura",
		"EFACTURA_SECRET_KEY":      NewSecretKey(),
		"EFACTURA_ENCRYPTION_KEY":  NewEncryptionKey("k1"),
		"EFACTURA_BASE_URL":        "https://gw.example",
		"EFACTURA_TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8",
	}
	c, err = Load(env(prod))
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, c.ShutdownDrain)
	prod["EFACTURA_SHUTDOWN_DRAIN"] = "3s"
	c, err = Load(env(prod))
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, c.ShutdownDrain)
	// Development may trust everything (a local proxy in front of a laptop).
	_, err = Load(env(map[string]string{"EFACTURA_DATA_DIR": t.TempDir(), "EFACTURA_TRUSTED_PROXIES": "0.0.0.0/0"}))
	require.NoError(t, err)
}
