package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Headers of a delivery.
const (
	HeaderSignature = "X-Efactura-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	HeaderEvent     = "X-Efactura-Event"     // the event's id (evt_…), stable across redeliveries
	HeaderEventType = "X-Efactura-Event-Type"
	HeaderDelivery  = "X-Efactura-Delivery" // the delivery's id (dlv_…), one per (event, endpoint)
)

// SecretPrefix starts every endpoint secret ("whsec_" + 32 random bytes, hex).
const SecretPrefix = "whsec_"

// NewSecret returns a new endpoint secret.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return SecretPrefix + hex.EncodeToString(b)
}

// NewID returns a new public id with the prefix (evt_, dlv_).
func NewID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Sign returns the X-Efactura-Signature value of body at t: the HMAC-SHA256
// of "<unix seconds>.<body>" keyed with the endpoint's secret (the whole
// string, prefix included), in hex.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
