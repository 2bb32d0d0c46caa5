// Command pdfgen writes one large generated invoice (invoicegen.Large):
// -lines lines, padded with line notes to about -size bytes
// (bench/pdf-parallel.sh).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

func main() {
	lines := flag.Int("lines", 5000, "invoice lines")
	size := flag.Int("size", 10_000_000, "approximate document size in bytes (0: as the lines make it)")
	out := flag.String("o", "large.xml", "output file")
	flag.Parse()
	f := invoicegen.Large(*lines, *size, 1)
	if err := os.WriteFile(*out, f.Data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "pdfgen:", err)
		os.Exit(1)
	}
	fmt.Println(len(f.Data))
}
