// Command efactura is the eFactura Gateway: one binary for the server, the
// ANAF simulator and the operator's commands. `efactura help` lists them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/efactura-gateway/efactura/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
