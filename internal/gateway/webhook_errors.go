package gateway

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/efactura-gateway/efactura/internal/webhook"
)

// WebhookDisabledByOwner is the reason stored when an owner disables an endpoint.
const WebhookDisabledByOwner = "disabled by an owner"

// WebhookDisabledReasonKind names why an endpoint is disabled, for the
// pages: "timeout" (the gateway, after 24 hours of failed deliveries),
// "owner", or "" for a reason this version does not know.
func WebhookDisabledReasonKind(reason string) string {
	switch reason {
	case webhook.DisabledTimeout:
		return "timeout"
	case WebhookDisabledByOwner:
		return "owner"
	}
	return ""
}

// Kinds of a webhook delivery's last error, as the delivery log page
// summarises it (the raw text stays available beside it).
const (
	DeliveryErrTimeout     = "timeout"     // no answer within the attempt's bound
	DeliveryErrBlocked     = "blocked"     // an internal address refused (SSRF guard), directly or by redirect
	DeliveryErrRefused     = "refused"     // connection refused
	DeliveryErrReset       = "reset"       // connection reset or closed before an answer
	DeliveryErrDNS         = "dns"         // the host name does not resolve
	DeliveryErrUnreachable = "unreachable" // no route to the host
	DeliveryErrTLS         = "tls"         // TLS handshake or certificate
	DeliveryErrRedirects   = "redirects"   // too many redirects
	DeliveryErrStatus      = "status"      // the receiver answered a non-2xx status (Status says which)
	DeliveryErrURL         = "url"         // the endpoint's URL is refused
	DeliveryErrDisabled    = "disabled"    // the endpoint was disabled
	DeliveryErrSecret      = "secret"      // the endpoint's secret cannot be decrypted
	DeliveryErrOther       = "other"
)

var answeredRE = regexp.MustCompile(`answered ([1-9]\d{2})\b`)

// DeliveryErrorKind classifies a delivery's last error text (the webhook
// Deliverer's words, or Go's network errors it passes on) into a kind and,
// for DeliveryErrStatus, the HTTP status. An empty text is "".
func DeliveryErrorKind(text string) (kind string, status int) {
	if strings.TrimSpace(text) == "" {
		return "", 0
	}
	low := strings.ToLower(text)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(low, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("address not allowed", "not public", "non-public"):
		return DeliveryErrBlocked, 0
	case has("secret cannot be decrypted"):
		return DeliveryErrSecret, 0
	case has("endpoint disabled"):
		return DeliveryErrDisabled, 0
	case has("endpoint url refused", "bad endpoint url"):
		return DeliveryErrURL, 0
	case has("too many redirects", "stopped after"):
		return DeliveryErrRedirects, 0
	case has("timed out", "timeout", "deadline exceeded"):
		return DeliveryErrTimeout, 0
	case has("connection refused"):
		return DeliveryErrRefused, 0
	case has("no such host", "does not resolve", "server misbehaving"):
		return DeliveryErrDNS, 0
	case has("network is unreachable", "no route to host", "host is unreachable"):
		return DeliveryErrUnreachable, 0
	case has("tls:", "x509:", "certificate", "handshake"):
		return DeliveryErrTLS, 0
	case has("connection reset", "broken pipe", "eof", "server closed"):
		return DeliveryErrReset, 0
	}
	if m := answeredRE.FindStringSubmatch(low); m != nil {
		n, _ := strconv.Atoi(m[1])
		return DeliveryErrStatus, n
	}
	return DeliveryErrOther, 0
}
