package cli

import (
	"fmt"

	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// rotateKeyCmd re-encrypts every secret at rest under the newest key of
// EFACTURA_ENCRYPTION_KEY (PRODUCT.md §7, §9). Rotation: prepend a new
// "kid:base64" entry (efactura keygen prints one under a fresh kid), run
// rotate-key, then drop the old entry once every replica runs with the
// new keyring. Every secret is decrypted first: when one cannot be (its
// key is missing, or was replaced under the same kid) the command says
// how many, under which kids, and changes nothing.
type rotateKeyCmd struct {
	DryRun bool `name:"dry-run" help:"Count what would be re-encrypted without writing."`
	Forget bool `name:"forget-undecryptable" help:"Delete the secrets no key of EFACTURA_ENCRYPTION_KEY opens (their key is lost for good): those users connect to ANAF again, an admin sets the ANAF client secret again."`
}

func (c *rotateKeyCmd) Run(g *globals) error {
	if c.Forget && c.DryRun {
		return usageErr("--forget-undecryptable and --dry-run do not go together: --dry-run alone counts what cannot be decrypted")
	}
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	if c.Forget {
		st, err := e.Store.ForgetSecrets(g.ctx, e.Undecryptable)
		if err != nil {
			return fmt.Errorf("rotate-key: nothing was deleted: %w", err)
		}
		details := fmt.Sprintf("deleted the undecryptable ANAF connections of %d users; ANAF client secret deleted: %t; two-factor logins removed: %d (cli)",
			st.Tokens, st.ClientSecret, st.TOTP)
		if err := e.Store.Audit(g.ctx, &store.AuditEvent{Action: store.ActionSecretsForgotten, Target: "encryption_key", Details: details}); err != nil {
			return fmt.Errorf("the undecryptable secrets were deleted, but recording it failed: %w", err)
		}
		app := "kept"
		if st.ClientSecret {
			app = "deleted (an admin sets it again: Admin → ANAF)"
		}
		fmt.Fprintf(g.stdout, "%d ANAF connections deleted (their users connect to ANAF again); ANAF client secret %s\n", st.Tokens, app)
		if st.TOTP > 0 {
			fmt.Fprintf(g.stdout, "%d two-factor logins removed (their users set them up again)\n", st.TOTP)
		}
	}
	// Refuse before anything is written when a secret does not open.
	if err := e.CheckSecrets(g.ctx); err != nil {
		return fmt.Errorf("rotate-key: nothing was changed: %w", err)
	}
	newest := e.Secrets.NewestKID()
	var wouldChange int
	stats, err := e.Store.RotateSecrets(g.ctx, func(ct []byte) ([]byte, bool, error) {
		kid, err := secretbox.KIDOf(ct)
		if err != nil {
			return nil, false, err
		}
		pt, err := e.Secrets.Decrypt(ct)
		if err != nil {
			return nil, false, fmt.Errorf("decrypt (key %q): %w", kid, err)
		}
		if kid == newest {
			return ct, false, nil
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
