package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhooks (docs/notifications.md): each delivery is a POST of a JSON
// envelope signed in the header X-Efactura-Signature as
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".

// SignatureHeader is the header a webhook's signature arrives in.
const SignatureHeader = "X-Efactura-Signature"

// DefaultTolerance is how old a signature VerifySignature accepts when
// given a zero tolerance.
const DefaultTolerance = 5 * time.Minute

// Signature refusals.
var (
	ErrSignatureFormat   = errors.New("efactura: webhook signature header malformed")
	ErrSignatureMismatch = errors.New("efactura: webhook signature does not match")
	ErrSignatureExpired  = errors.New("efactura: webhook signature timestamp outside the tolerance")
)

// WebhookEvent is the envelope of a webhook delivery.
type WebhookEvent struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CreatedAt  time.Time       `json:"created_at"`
	CompanyCIF string          `json:"company_cif"`
	Data       json.RawMessage `json:"data"`
}

// VerifySignature checks header (the X-Efactura-Signature value) against
// the raw request body with the endpoint's secret (whsec_…): the HMAC must
// match one v1 value and the timestamp be within tolerance of now (zero:
// DefaultTolerance; negative: not checked). Read the body unchanged, before
// any JSON decoding.
func VerifySignature(secret, header string, body []byte, tolerance time.Duration) error {
	return verifyAt(secret, header, body, tolerance, time.Now())
}

func verifyAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureFormat
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrSignatureFormat
			}
			sigs = append(sigs, b)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	want := m.Sum(nil)
	match := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			match = true
		}
	}
	if !match {
		return ErrSignatureMismatch
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	if tolerance > 0 {
		age := now.Sub(time.Unix(unix, 0))
		if age > tolerance || age < -tolerance {
			return ErrSignatureExpired
		}
	}
	return nil
}
