package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// TestAuditTexts: actions by their names in the page's language (an
// unknown one as its key), details and targets in Romanian on Romanian
// pages with their values untouched, as written on English ones.
func TestAuditTexts(t *testing.T) {
	t.Parallel()
	events := []gateway.AuditEntry{
		{AuditEvent: gateway.AuditEvent{Action: "apikey.create", Target: "key:7", Details: `company:12345674 prefix=efk_ab scope=read name="ERP" (impersonated by admin@example.ro)`}},
		{AuditEvent: gateway.AuditEvent{Action: "company.role", Target: "company:12345674", Details: "member=ana@example.ro role=owner (was member)"}},
		{AuditEvent: gateway.AuditEvent{Action: "user.login_failed", Target: "user:3", Details: "wrong password"}},
		{AuditEvent: gateway.AuditEvent{Action: "future.action", Details: "x"}},
	}
	ro := auditRows("ro", events)
	require.Equal(t, "cheie API creată", ro[0].ActionLabel)
	require.Equal(t, "cheie API:7", ro[0].TargetText)
	require.Equal(t, `companie:12345674 prefix=efk_ab drepturi=citire nume="ERP" (prin impersonare de către admin@example.ro)`, ro[0].DetailsText)
	require.Equal(t, "membru=ana@example.ro rol=proprietar (era membru)", ro[1].DetailsText)
	require.Equal(t, "autentificare eșuată", ro[2].ActionLabel)
	require.Equal(t, "parolă greșită", ro[2].DetailsText)
	require.Equal(t, "future.action", ro[3].ActionLabel)
	en := auditRows("en", events)
	require.Equal(t, "API key created", en[0].ActionLabel)
	require.Equal(t, events[0].Details, en[0].DetailsText)
	require.Equal(t, "key:7", en[0].TargetText)
}
