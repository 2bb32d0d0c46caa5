package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/store"
)

func TestNotifyPrefs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	svc, err := mail.New(mail.Options{Store: b.st, BaseURL: "https://gw.example.ro", SecretKey: "gateway-test-secret-0123456789abcdef"})
	require.NoError(t, err)
	b.gw.Mail = svc

	t.Run("MembersChooseTheirOwn", func(t *testing.T) {
		p, err := b.gw.NotifyPrefs(ctx, actor(b.mem))
		require.NoError(t, err)
		require.False(t, p.MailOn)
		require.Len(t, p.Companies, 1)
		require.Equal(t, gateway.NotifyDigest, p.Companies[0].Mode, "the default")
		require.False(t, p.IsAdmin)

		require.ErrorIs(t, b.gw.SetNotifyPrefs(ctx, actor(b.mem), map[int64]string{b.company.ID: "often"}, nil), gateway.ErrBadNotifyMode)
		require.NoError(t, b.gw.SetNotifyPrefs(ctx, actor(b.mem), map[int64]string{b.company.ID: gateway.NotifyInstant}, nil))
		ev := b.lastAudit(t)
		require.Equal(t, store.ActionNotifySet, ev.Action)
		require.Equal(t, store.TargetCompany(b.company.CIF), ev.Target)
		require.Equal(t, "mode=instant", ev.Details)

		// The admin is no member: the company is not theirs to choose for.
		require.ErrorIs(t, b.gw.SetNotifyPrefs(ctx, actor(b.admin), map[int64]string{b.company.ID: gateway.NotifyNone}, nil), gateway.ErrNotFound)
		on := false
		require.NoError(t, b.gw.SetNotifyPrefs(ctx, actor(b.admin), nil, &on))
		p, err = b.gw.NotifyPrefs(ctx, actor(b.admin))
		require.NoError(t, err)
		require.True(t, p.IsAdmin)
		require.False(t, p.Registrations)
		require.Empty(t, p.Companies)
		// A non-admin's registrations flag is ignored.
		require.NoError(t, b.gw.SetNotifyPrefs(ctx, actor(b.mem), nil, &on))
		require.True(t, mustRegistrationsOn(t, b, b.mem.ID))
	})

	t.Run("UnsubscribeEveryCompany", func(t *testing.T) {
		tok := svc.Token(mail.Unsubscribe{UserID: b.own.ID, Scope: mail.ScopeAll})
		link, err := b.gw.CheckUnsubscribe(ctx, tok)
		require.NoError(t, err)
		require.Equal(t, b.own.Email, link.Email)
		_, err = b.gw.Unsubscribe(ctx, "198.51.100.7", tok)
		require.NoError(t, err)
		prefs, err := b.st.NotifyPrefs(ctx, b.own.ID)
		require.NoError(t, err)
		for _, p := range prefs {
			require.Equal(t, store.NotifyNone, p.Mode)
		}
		ev := b.lastAudit(t)
		require.Equal(t, store.ActionNotifyUnsubscribe, ev.Action)
		require.Equal(t, "198.51.100.7", ev.IP)
		_, err = b.gw.Unsubscribe(ctx, "198.51.100.7", tok[:len(tok)-1])
		require.ErrorIs(t, err, gateway.ErrBadUnsubscribe)
	})

	t.Run("MailStatusIsForAdmins", func(t *testing.T) {
		_, err := b.gw.MailStatus(ctx, actor(b.mem))
		require.ErrorIs(t, err, gateway.ErrNotAdmin)
		s, err := b.gw.MailStatus(ctx, actor(b.admin))
		require.NoError(t, err)
		require.Empty(t, s.Failed)
	})
}

func mustRegistrationsOn(t *testing.T, b *testBundle, id int64) bool {
	t.Helper()
	on, err := b.st.RegistrationMailsOn(t.Context(), id)
	require.NoError(t, err)
	return on
}
