package cli

import "fmt"

// userReset2FACmd removes a user's second factor (TOTP secret and
// recovery codes) for a user who lost both their phone and their
// recovery codes: the operator checks who asks, runs it, and the user
// logs in with the password and sets two-factor login up again (at once,
// when the administrators require it). Audited as user.2fa_reset (cli).
type userReset2FACmd struct {
	Email string `arg:""`
}

func (c *userReset2FACmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	u, err := userByEmail(g, e, c.Email)
	if err != nil {
		return err
	}
	on, err := e.Gateway(nil).ResetTwoFactor(g.ctx, cliActor, u.ID)
	if err != nil {
		return err
	}
	if !on {
		fmt.Fprintf(g.stdout, "%s has no two-factor login: nothing to remove\n", u.Email)
		return nil
	}
	fmt.Fprintf(g.stdout, "two-factor login of %s removed: they log in with the password and set it up again\n", u.Email)
	return nil
}
