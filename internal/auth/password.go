package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters of new hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params follow OWASP's argon2id guidance (64 MiB, 3 passes,
// 2 lanes; OWASP's floor is 19 MiB × 2): about 100 ms on a server core.
var DefaultArgon2Params = Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// TestArgon2Params are cheap parameters for tests only: they pass them
// where the costs are configured (gateway.Service.PasswordParams,
// web.Deps.PasswordParams). Hashes record their own parameters, so
// CheckPassword verifies any of them.
var TestArgon2Params = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash is returned by CheckPassword for a string that is not an
// argon2id PHC hash this package can verify.
var ErrMalformedHash = errors.New("auth: malformed argon2id hash")

// maxArgon2Memory bounds the memory a stored hash may ask CheckPassword
// for (1 GiB), so a corrupted row cannot exhaust memory.
const maxArgon2Memory = 1 << 20

var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id PHC string of pw with a random salt and
// DefaultArgon2Params: "$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>"
// (unpadded standard base64).
func HashPassword(pw string) (string, error) { return DefaultArgon2Params.Hash(pw) }

// Hash returns the argon2id PHC string of pw with a random salt and the
// costs p; the zero Argon2Params stands for DefaultArgon2Params.
func (p Argon2Params) Hash(pw string) (string, error) {
	if p == (Argon2Params{}) {
		p = DefaultArgon2Params
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (a HashPassword string),
// comparing in constant time. A wrong password is (false, nil); a hash that
// cannot be parsed is ErrMalformedHash.
func CheckPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("%w: version %q", ErrMalformedHash, parts[2])
	}
	var (
		memory, time uint32
		threads      uint8
	)
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	if memory == 0 || memory > maxArgon2Memory || time == 0 || threads == 0 {
		return false, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return false, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return false, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	got := argon2.IDKey([]byte(pw), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
