// Package cli parses the efactura command line (kong; flags may follow
// arguments) and runs the subcommands. Exit codes: 0 success, 1 failure
// with one clear line on stderr, 2 usage error. Logs go to stderr; stdout
// carries only the command's answer.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/version"
)

// globals are handed to every command's Run.
type globals struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	getenv config.Getenv
	// process: run by Run, as the efactura process itself (not a test's
	// RunEnv): serve then sets the process-wide soft memory limit.
	process bool
}

type root struct {
	Serve         serveCmd         `cmd:"" help:"Run the gateway (web pages, REST API, sync)."`
	AnafSim       anafSimCmd       `cmd:"" name:"anaf-sim" help:"Run the ANAF e-Factura simulator as its own server."`
	Migrate       migrateCmd       `cmd:"" help:"Database migrations (up, status)."`
	User          userCmd          `cmd:"" help:"Manage users (create, approve, list, set-admin, reset-password)."`
	Company       companyCmd       `cmd:"" help:"Manage companies (add, list)."`
	Apikey        apikeyCmd        `cmd:"" help:"Manage API keys (create, list, revoke)."`
	Sync          syncCmd          `cmd:"" help:"Synchronise one company with ANAF now, in the foreground."`
	Parse         parseCmd         `cmd:"" help:"Parse UBL invoices and print their business terms."`
	Validate      validateCmd      `cmd:"" help:"Validate UBL invoices offline (UBL 2.1 XSD + CIUS-RO or EN 16931 rules); exit 1 if any is invalid."`
	Upload        uploadCmd        `cmd:"" help:"Send invoices to ANAF (validated first, never twice); --wait for ANAF's answer; exit 1 if any is rejected."`
	Render        renderCmd        `cmd:"" help:"Render one UBL invoice as HTML or PDF (--html|--pdf -o OUT)."`
	Keygen        keygenCmd        `cmd:"" help:"Print new values for EFACTURA_SECRET_KEY and EFACTURA_ENCRYPTION_KEY."`
	Backup        backupCmd        `cmd:"" help:"Write a consistent backup of the database (--out FILE)."`
	Restore       restoreCmd       `cmd:"" help:"Restore a backup into an empty database (--in FILE)."`
	VerifyArchive verifyArchiveCmd `cmd:"" name:"verify-archive" help:"Check the archive chains (every link, ZIP and row; --heads FILE, --company CIF) or an audit pack offline (--pack FILE); exit 1 on any problem."`
	Revalidate    revalidateCmd    `cmd:"" help:"Validate archived invoices with the native validator and store the verdicts (--company CIF, --all); prints counts."`
	Probe         probeCmd         `cmd:"" help:"GET a health URL; exit 0 on 2xx (container HEALTHCHECK)."`
	RotateKey     rotateKeyCmd     `cmd:"" name:"rotate-key" help:"Re-encrypt the ANAF client secret and tokens with the newest EFACTURA_ENCRYPTION_KEY."`
	Version       versionCmd       `cmd:"" help:"Print the version."`
	Help          helpCmd          `cmd:"" help:"List the commands."`
}

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Run parses args and runs the command; it returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, stdout, stderr, nil)
}

// RunEnv is Run with an explicit environment (tests).
func RunEnv(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Getenv) int {
	var cli root
	exitCode := -1
	parser, err := kong.New(&cli,
		kong.Name("efactura"),
		kong.Description("eFactura Gateway: archive, read and send RO e-Factura invoices. Configuration comes from the environment (see README)."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintln(stderr, "efactura:", err)
		return 1
	}
	if len(args) == 0 {
		_, _ = parser.Parse([]string{"--help"})
		return 2
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help
		return exitCode
	}
	if err != nil {
		fmt.Fprintln(stderr, "efactura:", err)
		return 2
	}
	g := &globals{ctx: ctx, stdout: stdout, stderr: stderr, getenv: getenv, process: getenv == nil}
	if err := kctx.Run(g, parser); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintln(stderr, "efactura:", oneLine(ee.err.Error()))
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "efactura:", oneLine(err.Error()))
		return 1
	}
	return 0
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// env loads configuration, logger and (optionally) the database.
func (g *globals) env(migrate bool) (*app.Env, error) {
	cfg, err := config.Load(g.getenv)
	if err != nil {
		return nil, err
	}
	logger := app.NewLogger(cfg, g.stderr)
	slog.SetDefault(logger)
	return app.Open(g.ctx, cfg, logger, app.OpenOptions{Migrate: migrate})
}

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	fmt.Fprintln(g.stdout, "efactura", version.String())
	return nil
}

type helpCmd struct {
	Command []string `arg:"" optional:"" help:"Show help for this command."`
}

func (h helpCmd) Run(g *globals, parser *kong.Kong) error {
	ctx, err := kong.Trace(parser, h.Command)
	if err != nil {
		return usageErr("%v", err)
	}
	return ctx.PrintUsage(false)
}

type keygenCmd struct{}

// Run prints a new secret key and a new encryption key under a fresh kid
// (secretbox.NewKID), so the new key can be put first in front of the
// old ones for a rotation without a kid clash.
func (keygenCmd) Run(g *globals) error {
	fmt.Fprintln(g.stdout, "EFACTURA_SECRET_KEY="+config.NewSecretKey())
	fmt.Fprintln(g.stdout, "EFACTURA_ENCRYPTION_KEY="+config.NewEncryptionKey(secretbox.NewKID(time.Now())))
	return nil
}
