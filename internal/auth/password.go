package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
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

// DefaultArgon2Params are one of OWASP's equivalent argon2id choices, the
// one its cheat sheet names first (19 MiB, 2 passes, 1 lane; earlier here:
// 64 MiB, 3 passes, 2 lanes):
// a login holds 19 MiB for the time of one hash (tens of milliseconds on a
// server core), and at most MaxConcurrentHashes hashes run at once, so 10
// parallel logins hold 19 MiB, one after the other. Hashes made with the
// earlier default (m=65536,t=3,p=2) still verify — each hash records its
// own costs — and the gateway rehashes them at the first successful login
// (Argon2Params.NeedsRehash).
var DefaultArgon2Params = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// MaxConcurrentHashes bounds the argon2id computations (hashes and checks)
// running at once in the process; more wait their turn. Each holds its
// hash's memory (19 MiB at the default costs) while it runs: with one at a
// time, 10 parallel logins cost 19 MiB of memory, not 190 (and, on two
// cores, about 10 × 40 ms of waiting for the last one).
const MaxConcurrentHashes = 1

// hashSlots is the semaphore of MaxConcurrentHashes.
var hashSlots = make(chan struct{}, MaxConcurrentHashes)

// releaseFromKiB: around a hash of at least this much memory (4 MiB), the
// process returns its free memory to the operating system.
const releaseFromKiB = 4 << 10

// idKey is argon2.IDKey inside a slot of hashSlots. Around a hash of at
// least releaseFromKiB, free memory goes back to the operating system (a
// collection and a scavenge: a few milliseconds next to the hash's tens):
// before it, so the hash's 19 MiB come on top of what the process really
// holds rather than of garbage the runtime's background scavenger has not
// returned yet; after it, so the hash's memory — garbage once IDKey
// returns — does not linger in the RSS, nor do the blocks of a burst of
// logins pile up before a collection.
func idKey(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	release := memory >= releaseFromKiB
	if release {
		debug.FreeOSMemory()
	}
	key := argon2IDKey(pw, salt, time, memory, threads, keyLen)
	if release {
		debug.FreeOSMemory()
	}
	return key
}

// argon2IDKey is argon2.IDKey (a variable for the semaphore's test).
var argon2IDKey = argon2.IDKey

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
// DefaultArgon2Params: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"
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
	key := idKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (a HashPassword string),
// comparing in constant time, with the costs recorded in hash. A wrong
// password is (false, nil); a hash that cannot be parsed is
// ErrMalformedHash.
func CheckPassword(hash, pw string) (bool, error) {
	h, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := idKey([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// NeedsRehash reports whether hash was made with costs other than p's
// (the zero Argon2Params: DefaultArgon2Params) — memory, passes, lanes,
// salt or key length — or cannot be parsed. After a successful
// CheckPassword, such a hash is replaced by p.Hash of the same password.
func (p Argon2Params) NeedsRehash(hash string) bool {
	if p == (Argon2Params{}) {
		p = DefaultArgon2Params
	}
	h, err := parseHash(hash)
	if err != nil {
		return true
	}
	return h.memory != p.Memory || h.time != p.Time || h.threads != p.Threads ||
		uint32(len(h.salt)) != p.SaltLen || uint32(len(h.key)) != p.KeyLen
}

// parsedHash is a PHC argon2id string taken apart.
type parsedHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash takes a HashPassword string apart; ErrMalformedHash.
func parseHash(hash string) (*parsedHash, error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return nil, fmt.Errorf("%w: version %q", ErrMalformedHash, parts[2])
	}
	var h parsedHash
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil {
		return nil, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	if h.memory == 0 || h.memory > maxArgon2Memory || h.time == 0 || h.threads == 0 {
		return nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	var err error
	h.salt, err = b64.DecodeString(parts[4])
	if err != nil || len(h.salt) == 0 {
		return nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	h.key, err = b64.DecodeString(parts[5])
	if err != nil || len(h.key) == 0 || len(h.key) > 1024 {
		return nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return &h, nil
}
