package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ---- upload

type uploadCmd struct {
	Files       []string      `arg:"" name:"FILE" help:"UBL Invoice or CreditNote files issued by the company."`
	Company     string        `required:"" placeholder:"CIF" help:"The sending company's CIF."`
	B2C         bool          `name:"b2c" help:"The buyer is a consumer (ANAF's uploadb2c)."`
	Extern      bool          `name:"extern" help:"The buyer is outside Romania."`
	Autofactura bool          `name:"autofactura" help:"Self-billing: the company is the buyer and issues the invoice in the seller's name."`
	Executare   bool          `name:"executare" help:"Invoice issued under enforcement (executare silită)."`
	Wait        bool          `name:"wait" help:"Wait for ANAF's answer (ok or nok) of every sent file."`
	Timeout     time.Duration `name:"timeout" default:"30m" help:"With --wait: give up waiting after this long (the uploads stay followed by efactura serve)."`
}

// uploadRejected is an upload that ends the command with exit 1.
func uploadRejected(u *gateway.Upload) bool {
	return u.State == gateway.UploadInvalid || u.State == gateway.UploadNOK
}

// Run validates each file, sends the valid ones to ANAF once and prints
// one line per file on stdout: file, state, invoice number and
// id_incarcare (or the first errors); with --wait the line of ANAF's
// answer (the sent state goes to stderr meanwhile). The send happens here, in the foreground (as `efactura
// sync` does); with --wait the command also follows ANAF's answer. A
// running `efactura serve` takes over whatever is left (its
// resume_uploads job); an upload is never sent twice. Exit 1 when any file
// is rejected: unreadable, invalid, a duplicate, not the company's, or
// refused by ANAF (nok).
func (c *uploadCmd) Run(g *globals) error {
	e, err := g.env(true)
	if err != nil {
		return err
	}
	defer e.Close()
	comp, err := companyByCIF(g, e, c.Company)
	if err != nil {
		return err
	}
	// Refuse at once, before anything is stored, when ANAF cannot be called.
	if _, err := e.ANAFClientFunc()(g.ctx); err != nil {
		return err
	}
	engine := e.SyncEngine()
	gw := e.Gateway(engine)
	// The send runs below, in this process: the queue is this command.
	gw.UploadQueuer = func(context.Context, *store.Store, int64) error { return nil }
	who := gateway.UserPrincipal(cliActor)
	opts := gateway.UploadOptions{B2C: c.B2C, Extern: c.Extern, Autofactura: c.Autofactura, Executare: c.Executare}

	rejected := 0
	type sent struct {
		file string
		id   int64
	}
	var follow []sent
	for _, f := range c.Files {
		data, err := readInvoiceFile(f)
		if err != nil {
			rejected++
			fmt.Fprintf(g.stdout, "%s\trefused\t-\t%v\n", f, err)
			continue
		}
		up, err := gw.UploadInvoice(g.ctx, who, gateway.UploadRequest{CompanyID: comp.ID, FileName: filepath.Base(f), XML: data, Options: opts})
		if err != nil {
			var ge *gateway.Error
			if !errors.As(err, &ge) || ge.Kind == gateway.KindUnavailable || ge.Kind == gateway.KindNotFound {
				return err
			}
			rejected++
			fmt.Fprintf(g.stdout, "%s\t%s\n", f, refusalLine(err))
			continue
		}
		if up.State == gateway.UploadSending {
			if up, err = c.send(g, engine, gw, who, up); err != nil {
				return err
			}
		}
		if c.Wait && !uploadFinal(up) {
			follow = append(follow, sent{file: f, id: up.ID})
			printUpload(g.stderr, f, up) // progress; stdout gets the final line
			continue
		}
		if uploadRejected(up) {
			rejected++
		}
		printUpload(g.stdout, f, up)
	}
	if len(follow) > 0 {
		ctx, cancel := context.WithTimeout(g.ctx, c.Timeout)
		defer cancel()
		for _, s := range follow {
			up, err := c.wait(ctx, g, engine, gw, who, s.id)
			if err != nil {
				return fmt.Errorf("%s: waiting for ANAF's answer: %w (the upload stays followed by efactura serve)", s.file, err)
			}
			if uploadRejected(up) {
				rejected++
			}
			printUpload(g.stdout, s.file, up)
		}
	}
	if rejected > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files rejected", rejected, len(c.Files))}
	}
	return nil
}

// uploadFinal reports whether the upload reached ok, nok or invalid.
func uploadFinal(u *gateway.Upload) bool {
	return u.State == gateway.UploadOK || u.State == gateway.UploadNOK || u.State == gateway.UploadInvalid
}

// send runs the upload's send step now (ANAF's upload call), retrying a
// send that could not start a few times, and returns the upload after it.
func (c *uploadCmd) send(g *globals, engine *anafsync.Engine, gw *gateway.Service, who gateway.Principal, up *gateway.Upload) (*gateway.Upload, error) {
	const attempts = 3
	for i := 1; i <= attempts; i++ {
		next, err := engine.SendUpload(g.ctx, up.ID, i == attempts)
		if err != nil {
			return nil, fmt.Errorf("sending upload %d: %w", up.ID, err)
		}
		if !next.Retry {
			break
		}
		if err := sleep(g.ctx, min(next.After, 10*time.Second)); err != nil {
			return nil, err
		}
	}
	return gw.GetUpload(g.ctx, who, up.ID)
}

// wait follows the upload (stareMesaj, or reconciliation of a lost
// answer by syncing the company) until it is final or ctx ends.
func (c *uploadCmd) wait(ctx context.Context, g *globals, engine *anafsync.Engine, gw *gateway.Service, who gateway.Principal, id int64) (*gateway.Upload, error) {
	for {
		up, err := gw.GetUpload(ctx, who, id)
		if err != nil || uploadFinal(up) {
			return up, err
		}
		next, err := engine.PollUpload(ctx, id)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "upload %d: %v (retrying)\n", id, err)
		}
		if next.Sync {
			if _, err := engine.SyncCompany(ctx, up.CompanyID, nil); err != nil {
				fmt.Fprintf(g.stderr, "upload %d: sync to match the lost answer: %v\n", id, err)
			}
		}
		wait := next.After
		if next.Done || wait <= 0 {
			wait = 2 * time.Second // held by another process (efactura serve): look again
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// printUpload prints one file's line: file, state, number, then
// id_incarcare (and id_descarcare when ok) or the first errors.
func printUpload(w io.Writer, file string, u *gateway.Upload) {
	number := u.InvoiceNumber
	if number == "" {
		number = "-"
	}
	var tail string
	switch {
	case len(u.Errors) > 0 && (u.State == gateway.UploadInvalid || u.State == gateway.UploadNOK):
		tail = firstErrors(u.Errors, 3)
	case u.IDIncarcare != "":
		tail = "id_incarcare=" + u.IDIncarcare
		if u.IDDescarcare != "" {
			tail += " id_descarcare=" + u.IDDescarcare
		}
	default:
		tail = fmt.Sprintf("upload %d", u.ID)
	}
	if u.Late && u.State != gateway.UploadInvalid {
		tail += " (late: deadline " + u.Deadline + ")"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", file, u.State, number, tail)
}

// firstErrors is the first error ("ID: message", the message cut to 100
// characters) and the ids of the next ones, up to n in all.
func firstErrors(errs []gateway.UploadError, n int) string {
	msg := []rune(strings.Join(strings.Fields(errs[0].Message), " "))
	if len(msg) > 100 {
		msg = append(msg[:99], '…')
	}
	out := errs[0].ID + ": " + string(msg)
	var ids []string
	for i, e := range errs[1:] {
		if i+1 == n {
			ids = append(ids, fmt.Sprintf("+%d more", len(errs)-n))
			break
		}
		ids = append(ids, e.ID)
	}
	if len(ids) > 0 {
		out += " (also " + strings.Join(ids, ", ") + ")"
	}
	return out
}

// refusalLine is a refused file's state and reason.
func refusalLine(err error) string {
	var dup *gateway.DuplicateInvoiceError
	if errors.As(err, &dup) && dup.Earlier != nil {
		return fmt.Sprintf("duplicate\t%s\talready sent as upload %d (%s)", or(dup.Earlier.InvoiceNumber, "-"), dup.Earlier.ID, dup.Earlier.State)
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		state := "refused"
		switch {
		case errors.Is(err, gateway.ErrDuplicateInvoice):
			state = "duplicate"
		case errors.Is(err, gateway.ErrUploadWrongCIF):
			state = "wrong-cif"
		}
		return state + "\t-\t" + ge.Msg
	}
	return "refused\t-\t" + err.Error()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
