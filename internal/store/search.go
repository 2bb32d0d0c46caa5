package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// SearchInvoices lists the invoices of the companies companyIDs (the
// caller's tenant check chose them; f.CompanyID is ignored) matching f,
// partner (as InvoicesWithPartner; "" for none) and text: part of the
// invoice number or of a party's name, a party's CIF, or the total
// (written 1234.56, 1.234,56 or 1,234.56; a credit note's too). The list
// is ordered as Invoices orders one company's, by the company index of the
// order; nothing is cached (the lists are a user's, not a company's).
// Limit <= 0 returns every match.
func (s *Store) SearchInvoices(ctx context.Context, companyIDs []int64, f InvoiceFilter, partner, text string) ([]Invoice, int, error) {
	if len(companyIDs) == 0 {
		return nil, 0, nil
	}
	f.CompanyID = 0
	where, args := invoiceWhere(f)
	// invoiceWhere always begins with the company condition on $1.
	where = "company_id IN (SELECT value FROM " + s.idList(1) + ")" + strings.TrimPrefix(where, "company_id = $1")
	args[0] = s.idsParam(companyIDs)
	if partner = strings.TrimSpace(partner); partner != "" {
		where, args = partnerWhere(where, args, partner)
	}
	where, args = searchWhere(where, args, text)
	var total int
	if err := s.queryRow(ctx, `SELECT count(*) FROM invoices WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, s.wrap("count search invoices", err)
	}
	query := `SELECT ` + invoiceListColumns + ` FROM invoices WHERE ` + where + ` ORDER BY ` + s.invoiceOrder(f.SortBy, f.SortDesc)
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)+1, len(args)+2)
		args = append(args, f.Limit, max(f.Offset, 0))
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, 0, s.wrap("search invoices", err)
	}
	list, err := collect(rows, "search invoices", s, scanInvoice)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// searchWhere adds the condition of SearchInvoices' text: any of the
// number or names (search_text), the CIFs, the total.
func searchWhere(where string, args []any, text string) (string, []any) {
	text = strings.TrimSpace(textParam(text))
	if text == "" {
		return where, args
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	ors := []string{"search_text LIKE " + arg("%"+escapeLike(foldSearch(text))+"%") + ` ESCAPE '\'`}
	if digits, err := cif.Normalize(text); err == nil {
		in := arg(digits) + ", " + arg("RO"+digits)
		ors = append(ors, "cif_emitent IN ("+in+")", "cif_beneficiar IN ("+in+")", "supplier_cif IN ("+in+")")
	}
	if d, ok := ParseAmount(text); ok {
		ors = append(ors, "total_amount_num = "+arg(d.String()), "total_amount_num = "+arg(d.Neg().String()))
	}
	return where + " AND (" + strings.Join(ors, " OR ") + ")", args
}

// ParseAmount reads an amount as people type it: 1234.56, 1234,56,
// 1.234,56, 1,234.56, 1 234,56 (with or without a currency word after
// it is not an amount). ok=false for anything else.
func ParseAmount(s string) (decimal.Decimal, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	if s == "" || len(s) > 40 {
		return decimal.Decimal{}, false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ',' && r != '-' {
			return decimal.Decimal{}, false
		}
	}
	dot, comma := strings.LastIndex(s, "."), strings.LastIndex(s, ",")
	switch {
	case dot >= 0 && comma >= 0 && comma > dot: // 1.234,56
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	case dot >= 0 && comma >= 0: // 1,234.56
		s = strings.ReplaceAll(s, ",", "")
	case comma >= 0: // 1234,56
		if strings.Count(s, ",") > 1 {
			return decimal.Decimal{}, false
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	if strings.Count(s, ".") > 1 {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, false
	}
	return d, true
}
