package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestSyncErrorCode: every sync error the engine records maps to a code
// the pages explain in the user's language; nothing falls through to the
// raw chain.
func TestSyncErrorCode(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"":                               "",
		anafsync.ErrNoConnection.Error(): "no_connection",
		anafsync.ErrAllRefused.Error():   "refused",
		anafsync.ErrNoConnection.Error() + " (ANAF: anaf listaMesajePaginatieFactura: no rights (HTTP 200): Nu aveti drept in SPV pentru CIF=1)":    "no_rights",
		"listing ANAF messages for CIF 12345674: anaf listaMesajePaginatieFactura: no rights (HTTP 200): Nu aveti drept in SPV pentru CIF=12345674": "no_rights",
		anafsync.ErrNeedsAttention.Error() + " (anaf descarcare: unauthorized (HTTP 401) invalid_token)":                                            "needs_attention",
		anafsync.ErrReconnectNeeded.Error() + " (anaf token: unauthorized (HTTP 400) invalid_grant: Invalid refresh token)":                         "reconnect",
		"listing ANAF messages for CIF 1: anaf listaMesajePaginatieFactura: unauthorized (HTTP 401) invalid_token":                                  "unauthorized",
		"ANAF quota exhausted; the sync resumes after 2026-01-15T22:00:00Z: anaf listaMesajePaginatieFactura: quota exceeded":                       "quota",
		"listing ANAF messages for CIF 1: anaf listaMesajePaginatieFactura: transient failure (HTTP 503)":                                           "unavailable",
		"2 of 9 messages could not be archived and will be retried on the next sync; first error: anaf descarcare: transient failure":               "partial",
		"store: begin: database is locked": "other",
	} {
		require.Equal(t, want, gateway.SyncErrorCode(msg), msg)
	}

	failed := &gateway.SyncRun{Status: store.SyncFailed, Error: anafsync.ErrNoConnection.Error()}
	require.Equal(t, gateway.SyncWaiting, gateway.SyncShownStatus(failed))
	failed.Error = anafsync.ErrAllRefused.Error()
	require.Equal(t, store.SyncFailed, gateway.SyncShownStatus(failed))
	require.Equal(t, store.SyncOK, gateway.SyncShownStatus(&gateway.SyncRun{Status: store.SyncOK}))
}

// TestANAFCallbackErrorKinds: ANAF's OAuth error codes are told apart: a
// server_error is ANAF failing, not a refusal.
func TestANAFCallbackErrorKinds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for code, want := range map[string]string{
		"access_denied": gateway.OAuthFailureDenied, "server_error": gateway.OAuthFailureUnavailable,
		"temporarily_unavailable": gateway.OAuthFailureUnavailable, "invalid_request": gateway.OAuthFailureConfig,
		"unauthorized_client": gateway.OAuthFailureConfig, "something_else": gateway.OAuthFailureOther,
	} {
		err := b.gw.ANAFCallback(t.Context(), actor(b.own), "", code, "desc")
		var refused *gateway.ANAFRefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, want, refused.Kind, code)
		require.Equal(t, code, refused.Code)
		require.Equal(t, code+": desc", refused.Reason)
	}
}
