package cli

import (
	"fmt"
	"os"

	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// ---- verify-archive (docs/operations.md, docs/compliance.md)

type verifyArchiveCmd struct {
	Company string `placeholder:"CIF" help:"Check only this company's chain (default: every company)."`
	Heads   string `type:"existingfile" placeholder:"FILE" help:"Daily heads exported earlier and kept elsewhere (CSV: day,company_id,cif,seq,entry_hash): each must be an entry of its chain."`
	Pack    string `type:"existingfile" placeholder:"FILE" help:"Check an audit pack offline instead (no database): SHA256SUMS, the chain and every ZIP."`
}

func (c *verifyArchiveCmd) Run(g *globals) error {
	var heads []chain.Head
	if c.Heads != "" {
		f, err := os.Open(c.Heads)
		if err != nil {
			return err
		}
		heads, err = chain.ReadHeads(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Heads, err)
		}
	}
	var (
		rep  *gateway.ArchiveReport
		what string
	)
	if c.Pack != "" {
		f, err := os.Open(c.Pack)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if rep, err = gateway.VerifyAuditPack(f, fi.Size(), heads); err != nil {
			return fmt.Errorf("%s: %w", c.Pack, err)
		}
		what = "audit pack " + c.Pack
	} else {
		e, err := g.env(false)
		if err != nil {
			return err
		}
		defer e.Close()
		if rep, err = e.Gateway(nil).VerifyArchive(g.ctx, cliActor, c.Company, heads); err != nil {
			return err
		}
		what = fmt.Sprintf("%d companies", rep.Companies)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(g.stdout, "PROBLEM", p)
	}
	fmt.Fprintf(g.stdout, "%s: %d chain entries checked, %d exported heads compared, %d problems\n", what, rep.Entries, rep.Heads, len(rep.Problems))
	if c.Heads == "" && len(rep.Problems) == 0 {
		fmt.Fprintln(g.stdout, "note: without --heads (daily heads kept outside the gateway) only accidental damage is detected; whoever can write the database can rewrite a chain")
	}
	if len(rep.Problems) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d problems in the archive", len(rep.Problems))}
	}
	return nil
}
