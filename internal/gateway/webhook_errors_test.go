package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestDeliveryErrorKind: the delivery log's error texts, as the webhook
// Deliverer records them, map to the page's summaries.
func TestDeliveryErrorKind(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"":          "",
		"timed out": gateway.DeliveryErrTimeout,
		"net/http: request canceled (Client.Timeout exceeded while awaiting headers)":                         gateway.DeliveryErrTimeout,
		"dial tcp 127.0.0.1:1: connect: connection refused":                                                   gateway.DeliveryErrRefused,
		"webhook: address not allowed (127.0.0.1:443)":                                                        gateway.DeliveryErrBlocked,
		"redirect refused: webhook: address not allowed: 169.254.169.254":                                     gateway.DeliveryErrBlocked,
		"webhook: endpoint URL refused: the address is loopback, private, link-local or otherwise not public": gateway.DeliveryErrBlocked,
		"webhook: endpoint URL refused: only https:// endpoints are accepted":                                 gateway.DeliveryErrURL,
		"the receiver answered 503":                                                                           gateway.DeliveryErrStatus,
		"dial tcp: lookup hooks.invalid: no such host":                                                        gateway.DeliveryErrDNS,
		"tls: failed to verify certificate: x509: unknown authority":                                          gateway.DeliveryErrTLS,
		"read tcp 10.0.0.1:5->10.0.0.2:443: read: connection reset by peer":                                   gateway.DeliveryErrReset,
		"too many redirects": gateway.DeliveryErrRedirects,
		"endpoint disabled":  gateway.DeliveryErrDisabled,
		"the endpoint's secret cannot be decrypted (rotate it)": gateway.DeliveryErrSecret,
		"dial tcp 203.0.113.9:443: connect: no route to host":   gateway.DeliveryErrUnreachable,
		"something new": gateway.DeliveryErrOther,
	} {
		kind, status := gateway.DeliveryErrorKind(text)
		require.Equal(t, want, kind, text)
		if kind == gateway.DeliveryErrStatus {
			require.Equal(t, 503, status)
		} else {
			require.Zero(t, status, text)
		}
	}
}

// TestWebhookDisabledReasonKind: the stored reasons the pages translate.
func TestWebhookDisabledReasonKind(t *testing.T) {
	t.Parallel()
	require.Equal(t, "timeout", gateway.WebhookDisabledReasonKind(webhook.DisabledTimeout))
	require.Equal(t, "owner", gateway.WebhookDisabledReasonKind(gateway.WebhookDisabledByOwner))
	require.Empty(t, gateway.WebhookDisabledReasonKind("something else"))
}

// FuzzDeliveryErrorKind: any stored text gives a known kind, and a status
// only for DeliveryErrStatus (a 3-digit code).
func FuzzDeliveryErrorKind(f *testing.F) {
	f.Add("the receiver answered 404")
	f.Add("dial tcp 127.0.0.1:1: connect: connection refused")
	f.Add("")
	known := map[string]bool{"": true, gateway.DeliveryErrTimeout: true, gateway.DeliveryErrBlocked: true,
		gateway.DeliveryErrRefused: true, gateway.DeliveryErrReset: true, gateway.DeliveryErrDNS: true,
		gateway.DeliveryErrUnreachable: true, gateway.DeliveryErrTLS: true, gateway.DeliveryErrRedirects: true,
		gateway.DeliveryErrStatus: true, gateway.DeliveryErrURL: true, gateway.DeliveryErrDisabled: true,
		gateway.DeliveryErrSecret: true, gateway.DeliveryErrOther: true}
	f.Fuzz(func(t *testing.T, text string) {
		kind, status := gateway.DeliveryErrorKind(text)
		if !known[kind] {
			t.Fatalf("unknown kind %q for %q", kind, text)
		}
		if (kind == gateway.DeliveryErrStatus) != (status >= 100 && status <= 999) {
			t.Fatalf("kind %q with status %d for %q", kind, status, text)
		}
	})
}
