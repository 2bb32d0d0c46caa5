package cli

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
)

// ---- backup, restore, verify-archive (docs/operations.md)

type backupCmd struct {
	Out string `required:"" placeholder:"FILE" help:"Write the backup to this new file (SQLite: a database copy; PostgreSQL: the gateway's archive of every table, no pg_dump needed)."`
}

func (c *backupCmd) Run(g *globals) error {
	e, err := g.env(false)
	if err != nil {
		return err
	}
	defer e.Close()
	m, err := store.Backup(g.ctx, e.Store, c.Out, store.BackupOptions{Parts: []store.SchemaPart{jobs.BackupSchema()}})
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(c.Out)
	// Recorded for efactura_last_backup_timestamp_seconds (the "backup too old" alert).
	if err := e.Store.Audit(g.ctx, &store.AuditEvent{Action: store.AuditBackup, Target: abs, Details: string(e.Store.Dialect())}); err != nil {
		return fmt.Errorf("the backup %s was written, but recording it failed: %w", c.Out, err)
	}
	if m != nil {
		fmt.Fprintf(g.stdout, "backup written to %s (%d tables, %d rows, %s of data, schema version %d)\n",
			c.Out, len(m.Tables), m.TotalRows(), humanBytes(m.TotalBytes()), m.Migrations["goose"])
		return nil
	}
	fmt.Fprintf(g.stdout, "backup written to %s\n", c.Out)
	return nil
}

type restoreCmd struct {
	In    string `required:"" type:"existingfile" placeholder:"FILE" help:"Restore this backup into the (empty) database of DATABASE_URL."`
	Force bool   `help:"Restore even if the database holds data: the backup replaces it (PostgreSQL: in one transaction)."`
	Check bool   `help:"Only check the file (every table's SHA-256, or SQLite's integrity check); no database is needed or touched."`
}

func (c *restoreCmd) Run(g *globals) error {
	if c.Check {
		m, err := store.CheckBackup(g.ctx, c.In)
		if err != nil {
			return err
		}
		if m != nil {
			fmt.Fprintf(g.stdout, "%s is intact: %d tables, %d rows, %s of data, schema version %d, made %s by %s\n",
				c.In, len(m.Tables), m.TotalRows(), humanBytes(m.TotalBytes()), m.Migrations["goose"],
				m.CreatedAt.UTC().Format(time.RFC3339), m.GatewayVersion)
			return nil
		}
		fmt.Fprintf(g.stdout, "%s is intact (SQLite integrity check ok)\n", c.In)
		return nil
	}
	cfg, err := config.Load(g.getenv)
	if err != nil {
		return err
	}
	opts := store.RestoreOptions{Force: c.Force, Parts: []store.SchemaPart{jobs.BackupSchema()}}
	if err := store.Restore(g.ctx, cfg.DatabaseURL, c.In, opts); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "restored %s; run `efactura verify-archive`, then start the gateway (it applies newer migrations itself)\n", c.In)
	return nil
}

// probeCmd is the container HEALTHCHECK (the runtime image has no curl or wget).
type probeCmd struct {
	URL string `arg:"" default:"http://127.0.0.1:8080/healthz" help:"URL to GET; exit 0 on a 2xx answer within 5 s."`
}

func (c *probeCmd) Run(g *globals) error {
	ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return usageErr("probe: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", c.URL, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe %s: HTTP %d", c.URL, resp.StatusCode)
	}
	fmt.Fprintln(g.stdout, "ok")
	return nil
}

// humanBytes prints a size for operators: "512 B", "3.4 MB", "1.2 GB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
