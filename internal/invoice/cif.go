package invoice

import (
	"strings"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// PartyCIF returns the Romanian fiscal code (CIF, digits only) of a party:
// the digits of its VAT identifier (BT-31 / BT-48) when that starts with
// "RO" (spaces allowed, e.g. "RO 12345674"), else its legal registration
// identifier (BT-30 / BT-47) when that is 2..10 digits after trimming,
// else "". The check digit is not verified (see cif.Check).
func PartyCIF(p Party) string {
	vat := strings.TrimSpace(p.VATID)
	if len(vat) >= 2 && strings.EqualFold(vat[:2], "RO") {
		if d, err := cif.Normalize(vat); err == nil {
			return d
		}
	}
	legal := strings.TrimSpace(p.LegalID)
	if legal == "" || strings.ContainsFunc(legal, func(r rune) bool { return r < '0' || r > '9' }) {
		return ""
	}
	if d, err := cif.Normalize(legal); err == nil {
		return d
	}
	return ""
}
