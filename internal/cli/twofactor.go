package cli

import (
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// userReset2FACmd removes a user's second factor (TOTP secret and
// recovery codes) for a user who lost both their phone and their
// recovery codes: the operator checks who asks, runs it, and the user
// logs in with the password and sets two-factor login up again (at once,
// when the administrators require it). Audited as user.2fa_reset (cli).
type userReset2FACmd struct {
	Email string `arg:""`
}

func (c *userReset2FACmd) Run(g *globals) error {
	return onUser(g, c.Email, func(gw *gateway.Service, u *store.User) (string, error) {
		on, err := gw.ResetTwoFactor(g.ctx, cliActor, u.ID)
		if !on {
			return u.Email + " has no two-factor login: nothing to remove", err
		}
		return "two-factor login of " + u.Email + " removed: they log in with the password and set it up again", err
	})
}
