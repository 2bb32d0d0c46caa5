package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/secretbox"
)

// UndecryptableError reports the secrets at rest (the ANAF client secret,
// users' ANAF tokens) that EFACTURA_ENCRYPTION_KEY cannot open: `efactura
// rotate-key` and the start of `efactura serve` refuse to go on with it.
type UndecryptableError struct {
	Count   int            // undecryptable secrets
	Secrets int            // secrets looked at
	Missing map[string]int // kid → secrets under a kid the keyring does not hold
	Wrong   map[string]int // kid → secrets the keyring's key of that kid does not open (replaced under the same kid?)
	Corrupt int            // malformed ciphertexts (no kid)
}

func (e *UndecryptableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d secrets at rest (ANAF tokens, the ANAF client secret) cannot be decrypted with EFACTURA_ENCRYPTION_KEY", e.Count, e.Secrets)
	var parts []string
	for _, kid := range sortedKeys(e.Missing) {
		parts = append(parts, fmt.Sprintf("%d under key %q, which EFACTURA_ENCRYPTION_KEY does not hold", e.Missing[kid], kid))
	}
	for _, kid := range sortedKeys(e.Wrong) {
		parts = append(parts, fmt.Sprintf("%d under key %q, whose value in EFACTURA_ENCRYPTION_KEY is not the one they were encrypted with (was the key replaced under the same kid?)", e.Wrong[kid], kid))
	}
	if e.Corrupt > 0 {
		parts = append(parts, fmt.Sprintf("%d malformed", e.Corrupt))
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, "; "))
	}
	b.WriteString(". Put the key(s) back into EFACTURA_ENCRYPTION_KEY exactly as they were (kid:base64, after the newest key, comma-separated) and run again; " +
		"if a key is lost for good, `efactura rotate-key --forget-undecryptable` deletes those secrets (their users connect to ANAF again; an admin sets the ANAF client secret again)")
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckSecrets decrypts every secret at rest with the keyring (nothing is
// written) and returns an *UndecryptableError counting those it cannot
// open, by kid, or nil when all open.
func (e *Env) CheckSecrets(ctx context.Context) error {
	u := &UndecryptableError{Missing: map[string]int{}, Wrong: map[string]int{}}
	stats, err := e.Store.RotateSecrets(ctx, func(ct []byte) ([]byte, bool, error) {
		if _, err := e.Secrets.Decrypt(ct); err != nil {
			u.Count++
			kid, kerr := secretbox.KIDOf(ct)
			switch {
			case kerr != nil:
				u.Corrupt++
			case errors.Is(err, secretbox.ErrUnknownKey):
				u.Missing[kid]++
			default:
				u.Wrong[kid]++
			}
		}
		return ct, false, nil
	})
	if err != nil {
		return fmt.Errorf("reading the secrets at rest: %w", err)
	}
	if u.Count == 0 {
		return nil
	}
	u.Secrets = stats.Secrets
	return u
}

// CheckSecretsAtStart is the start-up check of `efactura serve`: it
// refuses (the *UndecryptableError) when a secret at rest cannot be
// decrypted, and otherwise gives back the ANAF connections marked
// key_missing (every secret opens again: their key is back), logging how many.
func (e *Env) CheckSecretsAtStart(ctx context.Context) error {
	if err := e.CheckSecrets(ctx); err != nil {
		return err
	}
	n, err := e.Store.ChangeANAFTokenStatuses(ctx, anafsync.StatusKeyMissing, anafsync.StatusConnected)
	if err != nil {
		return err
	}
	if n > 0 {
		e.Logger.Info("ANAF connections usable again: their encryption key is back in EFACTURA_ENCRYPTION_KEY", slog.Int("connections", n))
	}
	return nil
}

// Undecryptable reports whether the keyring cannot open ct (for
// `efactura rotate-key --forget-undecryptable`).
func (e *Env) Undecryptable(ct []byte) bool {
	_, err := e.Secrets.Decrypt(ct)
	return err != nil
}
