package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/efactura-gateway/efactura/internal/validate"
)

// ---- validate

type validateCmd struct {
	Files    []string `arg:"" name:"FILE" help:"UBL Invoice or CreditNote files."`
	JSON     bool     `name:"json" help:"One JSON object per line, per file."`
	Profile  string   `name:"profile" enum:"ro,en" default:"ro" help:"Rules: ro (ANAF CIUS-RO 1.0.9, what ANAF applies) or en (EN 16931 1.3.16)."`
	Warnings bool     `name:"warnings" help:"Print the warnings too (text output; JSON always has them)."`
}

// validateLine is one file's JSON report.
type validateLine struct {
	File string `json:"file"`
	*validate.Report
	Error string `json:"error,omitempty"`
}

func (c *validateCmd) Run(g *globals) error {
	profile := validate.ProfileRO
	if c.Profile == "en" {
		profile = validate.ProfileEN
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	invalid := 0
	for _, f := range c.Files {
		data, err := readInvoiceFile(f) // its errors name the file
		var rep *validate.Report
		if err == nil {
			if rep, err = validate.Validate(data, profile); err != nil {
				err = fmt.Errorf("%s: %w", f, err)
			}
		}
		if err != nil || !rep.Valid {
			invalid++
		}
		if c.JSON {
			line := validateLine{File: f, Report: rep}
			if err != nil {
				// unreadable (missing, too large): invalid, with why
				line.Report = &validate.Report{Errors: []validate.Error{}, Warnings: []validate.Error{}}
				line.Error = err.Error()
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(g.stdout, "%s: INVALID: %v\n", f, err)
			continue
		}
		printReport(g.stdout, f, rep, c.Warnings)
	}
	if invalid > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files invalid", invalid, len(c.Files))}
	}
	return nil
}

func printReport(w io.Writer, file string, r *validate.Report, warnings bool) {
	verdict := "valid"
	if !r.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(w, "%s: %s %s (%d errors, %d warnings)\n", file, r.DocType, verdict, len(r.Errors), len(r.Warnings))
	list := r.Errors
	if warnings {
		list = append(append([]validate.Error(nil), r.Errors...), r.Warnings...)
	}
	for _, e := range list {
		where := fmt.Sprintf("line %d", e.Line)
		if e.LineID != "" {
			where += ", invoice line " + e.LineID
		}
		bt := ""
		if e.BT != "" {
			bt = " [" + e.BT + "]"
		}
		fmt.Fprintf(w, "  %s %s (%s)%s: %s\n", e.Flag, e.ID, where, bt, e.Message)
		if e.Location != "" {
			fmt.Fprintf(w, "    at %s\n", e.Location)
		}
	}
}
