package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "efk_"

// apiKeyBytes is the key's entropy (256 bits).
const apiKeyBytes = 32

// APIKeyLen is the length of a key: "efk_" + 43 base64url characters.
var APIKeyLen = len(APIKeyPrefix) + base64.RawURLEncoding.EncodedLen(apiKeyBytes)

// APIKeyDisplayLen is how many leading characters are kept as the key's
// visible prefix ("efk_" + 8).
const APIKeyDisplayLen = 12

// NewAPIKey returns a new key "efk_" + base64url (no padding) of 32 random
// bytes, its display prefix (first 12 characters) and its SHA-256, the only
// form stored. The key itself is shown once and never kept.
func NewAPIKey() (key string, prefix string, hash []byte, err error) {
	var b [apiKeyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", nil, fmt.Errorf("auth: new api key: %w", err)
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, key[:APIKeyDisplayLen], HashAPIKey(key), nil
}

// HashAPIKey returns the SHA-256 of the whole key, as stored and looked up
// (store.APIKeyByHash). A fast hash suffices: keys carry 256 random bits.
func HashAPIKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// LooksLikeAPIKey reports whether key has the shape of a key NewAPIKey
// makes ("efk_" + 43 base64url characters decoding to 32 bytes); the API
// answers INVALID_API_KEY_FORMAT otherwise, without a database lookup.
func LooksLikeAPIKey(key string) bool {
	if len(key) != APIKeyLen || !strings.HasPrefix(key, APIKeyPrefix) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(key[len(APIKeyPrefix):])
	return err == nil && len(b) == apiKeyBytes
}
