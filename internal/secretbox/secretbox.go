// Package secretbox encrypts secrets at rest (ANAF client secret and
// tokens) with AES-256-GCM under a keyring read from
// EFACTURA_ENCRYPTION_KEY: "kid:base64-of-32-bytes[,kid2:...]", newest
// first. Encrypt always uses the newest key; Decrypt finds the key by the
// kid written in the ciphertext, so rotation is: prepend a new key, run
// `efactura rotate-key` (decrypt, re-encrypt), then drop the old key.
//
// Ciphertext layout: version byte 1 | kid length (1 byte) | kid | 12-byte
// random nonce | GCM ciphertext and 16-byte tag. The version byte and kid
// are authenticated as additional data, so a changed kid fails to decrypt.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	formatV1 = 1
	keyLen   = 32
	maxKID   = 64
)

// Errors.
var (
	// ErrBadSpec: the keyring specification cannot be used.
	ErrBadSpec = errors.New("secretbox: bad key specification (want kid:base64-of-32-bytes[,kid:...])")
	// ErrUnknownKey: the ciphertext names a kid the keyring does not hold.
	ErrUnknownKey = errors.New("secretbox: ciphertext key not in the keyring")
	// ErrCorrupt: the ciphertext is malformed, tampered with or under another key.
	ErrCorrupt = errors.New("secretbox: ciphertext corrupt or tampered with")
)

// Keyring holds AES-256-GCM keys by kid, newest first.
type Keyring struct {
	kids  []string // newest first
	aeads map[string]cipher.AEAD
}

// Parse reads a keyring specification "kid:base64[,kid:base64...]", newest
// first. A kid is 1..64 characters of [A-Za-z0-9_.-]; each key is 32 bytes
// in standard or URL base64, padded or not. Errors wrap ErrBadSpec and
// never include key material.
func Parse(spec string) (*Keyring, error) {
	kr := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		kid, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d has no ':'", ErrBadSpec, i+1)
		}
		if !validKID(kid) {
			return nil, fmt.Errorf("%w: entry %d: kid must be 1..%d characters of A-Z a-z 0-9 _ . -", ErrBadSpec, i+1, maxKID)
		}
		if _, dup := kr.aeads[kid]; dup {
			return nil, fmt.Errorf("%w: kid %q appears twice", ErrBadSpec, kid)
		}
		key, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q is not base64", ErrBadSpec, kid)
		}
		if len(key) != keyLen {
			return nil, fmt.Errorf("%w: key %q has %d bytes, want %d", ErrBadSpec, kid, len(key), keyLen)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrBadSpec, kid, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrBadSpec, kid, err)
		}
		kr.kids = append(kr.kids, kid)
		kr.aeads[kid] = aead
	}
	return kr, nil
}

func validKID(kid string) bool {
	if kid == "" || len(kid) > maxKID {
		return false
	}
	for _, r := range kid {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// Generate returns a new keyring entry "kid:base64-of-32-random-bytes" to
// prepend to EFACTURA_ENCRYPTION_KEY.
func Generate(kid string) (string, error) {
	if !validKID(kid) {
		return "", fmt.Errorf("%w: kid must be 1..%d characters of A-Z a-z 0-9 _ . -", ErrBadSpec, maxKID)
	}
	key := make([]byte, keyLen)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("secretbox: generate: %w", err)
	}
	return kid + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// NewKID returns a fresh key id: "k", the UTC date of now (yyyymmdd), "-"
// and 6 random hex digits (e.g. "k20261207-3fa91c"), so a key generated
// for a rotation never repeats a kid already in the keyring.
func NewKID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "k" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(b)
}

// Has reports whether the keyring holds a key named kid.
func (k *Keyring) Has(kid string) bool { _, ok := k.aeads[kid]; return ok }

// NewestKID is the kid Encrypt uses.
func (k *Keyring) NewestKID() string { return k.kids[0] }

// KIDs lists the keyring's kids, newest first.
func (k *Keyring) KIDs() []string { return append([]string(nil), k.kids...) }

// Encrypt seals plaintext with the newest key and a random nonce.
func (k *Keyring) Encrypt(plaintext []byte) ([]byte, error) {
	kid := k.kids[0]
	aead := k.aeads[kid]
	header := make([]byte, 0, 2+len(kid)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	header = append(header, formatV1, byte(len(kid)))
	header = append(header, kid...)
	ad := append([]byte(nil), header...) // version and kid are authenticated; must not overlap dst
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	out := append(header, nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// KIDOf returns the kid a ciphertext was sealed with (ErrCorrupt when it
// has no valid header), e.g. to re-encrypt what is not under NewestKID.
func KIDOf(ct []byte) (string, error) {
	if len(ct) < 2 || ct[0] != formatV1 {
		return "", ErrCorrupt
	}
	n := int(ct[1])
	if n == 0 || len(ct) < 2+n {
		return "", ErrCorrupt
	}
	return string(ct[2 : 2+n]), nil
}

// Decrypt opens a ciphertext made by Encrypt under any key of the ring.
// ErrUnknownKey when its kid is not in the ring; ErrCorrupt when it was
// altered or is malformed.
func (k *Keyring) Decrypt(ct []byte) ([]byte, error) {
	kid, err := KIDOf(ct)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	hl := 2 + len(kid)
	if len(ct) < hl+aead.NonceSize()+aead.Overhead() {
		return nil, ErrCorrupt
	}
	nonce := ct[hl : hl+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, ct[hl+aead.NonceSize():], ct[:hl])
	if err != nil {
		return nil, ErrCorrupt
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}
