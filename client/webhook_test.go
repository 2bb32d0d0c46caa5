package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"
)

func sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	const secret = "whsec_0123456789abcdef"
	body := []byte(`{"id":"evt_1","type":"invoice.received"}`)
	now := time.Unix(1_800_000_000, 0)
	good := sign(secret, now, body)
	for _, tc := range []struct {
		name, header string
		body         []byte
		secret       string
		at           time.Time
		tol          time.Duration
		want         error
	}{
		{"valid", good, body, secret, now, 0, nil},
		{"valid with a second signature", good + ",v1=00", body, secret, now, 0, nil},
		{"rotated: the old one listed first", "v1=" + hex.EncodeToString(make([]byte, 32)) + "," + good, body, secret, now, 0, nil},
		{"other body", good, []byte(`{"id":"evt_2"}`), secret, now, 0, ErrSignatureMismatch},
		{"other secret", good, body, "whsec_other", now, 0, ErrSignatureMismatch},
		{"too old", good, body, secret, now.Add(6 * time.Minute), 0, ErrSignatureExpired},
		{"too old for one minute", good, body, secret, now.Add(2 * time.Minute), time.Minute, ErrSignatureExpired},
		{"from the future", good, body, secret, now.Add(-10 * time.Minute), 0, ErrSignatureExpired},
		{"no tolerance check", good, body, secret, now.Add(100 * time.Hour), -1, nil},
		{"empty", "", body, secret, now, 0, ErrSignatureFormat},
		{"no v1", "t=1800000000", body, secret, now, 0, ErrSignatureFormat},
		{"no t", "v1=00", body, secret, now, 0, ErrSignatureFormat},
		{"bad hex", "t=1800000000,v1=zz", body, secret, now, 0, ErrSignatureFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := verifyAt(tc.secret, tc.header, tc.body, tc.tol, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if err := VerifySignature(secret, sign(secret, time.Now(), body), body, 0); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("t=,v1=", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = VerifySignature("whsec_x", header, body, 0) // never panics
	})
}
