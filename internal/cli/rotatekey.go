package cli

import (
	"fmt"

	"github.com/efactura-gateway/efactura/internal/secretbox"
)

// rotateKeyCmd re-encrypts every secret at rest under the newest key of
// EFACTURA_ENCRYPTION_KEY (PRODUCT.md §7, §9). Rotation: prepend a new
// "kid:base64" entry (efactura keygen prints one), run rotate-key, then
// drop the old entry once every replica runs with the new keyring.
type rotateKeyCmd struct {
	DryRun bool `name:"dry-run" help:"Count what would be re-encrypted without writing."`
}

func (c *rotateKeyCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	newest := e.Secrets.NewestKID()
	var wouldChange int
	stats, err := e.Store.RotateSecrets(g.ctx, func(ct []byte) ([]byte, bool, error) {
		kid, err := secretbox.KIDOf(ct)
		if err != nil {
			return nil, false, err
		}
		if kid == newest {
			return ct, false, nil
		}
		pt, err := e.Secrets.Decrypt(ct)
		if err != nil {
			return nil, false, fmt.Errorf("decrypt (key %q): %w", kid, err)
		}
		if c.DryRun {
			wouldChange++
			return ct, false, nil
		}
		out, err := e.Secrets.Encrypt(pt)
		if err != nil {
			return nil, false, err
		}
		return out, true, nil
	})
	if err != nil {
		return fmt.Errorf("rotate-key: nothing was changed: %w", err)
	}
	if c.DryRun {
		fmt.Fprintf(g.stdout, "%d secrets, %d would be re-encrypted with key %q (dry run)\n", stats.Secrets, wouldChange, newest)
		return nil
	}
	fmt.Fprintf(g.stdout, "%d secrets, %d re-encrypted with key %q\n", stats.Secrets, stats.Reencrypted, newest)
	return nil
}
