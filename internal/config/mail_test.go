package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMailSettings(t *testing.T) {
	t.Parallel()
	prod := func(extra map[string]string) map[string]string {
		m := map[string]string{
			"EFACTURA_ENV":            "production",
			"DATABASE_URL":            "postgres://u@db/efactura",
			"EFACTURA_SECRET_KEY":     NewSecretKey(),
			"EFACTURA_ENCRYPTION_KEY": NewEncryptionKey("k1"),
			"EFACTURA_BASE_URL":       "https://gw.example",
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	c, err := Load(env(prod(nil)))
	require.NoError(t, err)
	require.False(t, c.MailOn(), "off when EFACTURA_SMTP_URL is unset")

	for _, u := range []string{"smtp://user:pass@mail.example.com:587", "smtps://user:pass@mail.example.com", "smtp://mail.example.com"} {
		c, err := Load(env(prod(map[string]string{"EFACTURA_SMTP_URL": u, "EFACTURA_MAIL_FROM": "eFactura <efactura@example.com>"})))
		require.NoError(t, err, u)
		require.True(t, c.MailOn())
		require.Equal(t, u, c.SMTPURL)
	}
	for name, tc := range map[string]struct {
		url, from, want string
	}{
		"NoFrom":        {"smtp://mail.example.com", "", "EFACTURA_MAIL_FROM must be set"},
		"BadFrom":       {"smtp://mail.example.com", "not an address", "EFACTURA_MAIL_FROM must be an e-mail address"},
		"PlainInProd":   {"smtp+plain://127.0.0.1:2525", "a@example.com", "must not use smtp+plain:// in production"},
		"OtherScheme":   {"http://mail.example.com", "a@example.com", "must start with smtp://"},
		"NoHost":        {"smtp://", "a@example.com", "must be a URL such as"},
		"BadPort":       {"smtp://mail.example.com:99999", "a@example.com", "bad port"},
		"Placeholder":   {"smtp://u:CHANGE-ME@mail.example.com", "a@example.com", "placeholder password"},
		"PathIsNoPlace": {"smtp://mail.example.com/x", "a@example.com", "must be a URL such as"},
	} {
		_, err := Load(env(prod(map[string]string{"EFACTURA_SMTP_URL": tc.url, "EFACTURA_MAIL_FROM": tc.from})))
		require.ErrorContains(t, err, tc.want, name)
	}
	// Development (tests, a local relay) may send without TLS.
	c, err = Load(env(map[string]string{"EFACTURA_DATA_DIR": t.TempDir(), "EFACTURA_SMTP_URL": "smtp+plain://127.0.0.1:2525",
		"EFACTURA_MAIL_FROM": "efactura@localhost"}))
	require.NoError(t, err)
	require.True(t, c.MailOn())
}
