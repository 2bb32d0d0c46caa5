package cli

import (
	"fmt"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// ---- revalidate (docs/validation.md, "Synced invoices")

type revalidateCmd struct {
	Company string `placeholder:"CIF" help:"Only this company's invoices (default: every company)."`
	All     bool   `help:"Validate every selected invoice again, not only those without a verdict by the current rules."`
}

func (c *revalidateCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	last := time.Now()
	res, err := e.Gateway(nil).RevalidateArchive(g.ctx, cliActor, c.Company, c.All, func(checked int) {
		if time.Since(last) >= 2*time.Second {
			last = time.Now()
			fmt.Fprintf(g.stderr, "revalidate: %d invoices validated\n", checked)
		}
	})
	if err != nil {
		if res != nil && res.Checked > 0 {
			return fmt.Errorf("%w (after %d invoices; their verdicts are stored, run revalidate again to continue)", err, res.Checked)
		}
		return err
	}
	scope := "every company"
	if res.Company != nil {
		scope = "company " + res.Company.CIF
	}
	fmt.Fprintf(g.stdout, "%s: %d invoices validated with %s: %d valid, %d invalid, %d not applicable, %d failed, %d warnings\n",
		scope, res.Checked, gateway.ValidatedWith, res.Valid, res.Invalid, res.NotApplicable, res.Failed, res.Warnings)
	a := res.After
	fmt.Fprintf(g.stdout, "archive: %d valid, %d invalid, %d not applicable, %d failed, %d not validated, %d warnings\n",
		a.Valid, a.Invalid, a.NotApplicable, a.Failed, a.Pending, a.Warnings)
	return nil
}
