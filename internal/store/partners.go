package store

import (
	"context"
	"sort"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// PartnerCIF is a CIF seen as the other party of a user's archived
// invoices: a suggestion for "add a company", never a proof of rights.
type PartnerCIF struct {
	CIF      string // digits, no "RO"
	Name     string // the name the invoices give it
	Invoices int    // how many of the user's invoices name it
}

// PartnerWindow bounds the invoices PartnerCIFs reads to those synced in
// the last 90 days: the companies page asks on every view, and a range of
// the (company_id, synced_at) index per company costs what the recent
// months hold, not what the whole archive does.
const PartnerWindow = 90 * 24 * time.Hour

// PartnerCIFs returns up to limit CIFs of partners in the invoices of
// userID's companies synced within PartnerWindow, most frequent first,
// without the CIFs of companies the user already belongs to. ANAF has no
// call that lists the CIFs a certificate may act for (issue 17), so these
// are only suggestions.
func (s *Store) PartnerCIFs(ctx context.Context, userID int64, limit int) ([]PartnerCIF, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT CASE WHEN i.cif_emitent = c.cif OR i.cif_emitent = 'RO' || c.cif THEN i.cif_beneficiar ELSE i.cif_emitent END,
			MAX(CASE WHEN i.cif_emitent = c.cif OR i.cif_emitent = 'RO' || c.cif THEN i.receiver_name ELSE i.issuer_name END),
			count(*)
		FROM invoices i
		JOIN companies c ON c.id = i.company_id
		JOIN memberships m ON m.company_id = c.id AND m.user_id = $1
		WHERE i.synced_at >= $2
		GROUP BY 1`, userID, s.tv(now().Add(-PartnerWindow)))
	if err != nil {
		return nil, s.wrap("partner cifs", err)
	}
	defer rows.Close()
	byCIF := map[string]*PartnerCIF{}
	for rows.Next() {
		var raw, name string
		var n int
		if err := rows.Scan(&raw, &name, &n); err != nil {
			return nil, s.wrap("partner cifs", err)
		}
		digits, err := cif.Check(raw)
		if err != nil { // a foreign VAT number or a typo: nothing ANAF could verify
			continue
		}
		p := byCIF[digits]
		if p == nil {
			p = &PartnerCIF{CIF: digits}
			byCIF[digits] = p
		}
		p.Invoices += n
		if p.Name == "" {
			p.Name = name
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("partner cifs", err)
	}
	mine, err := s.q.QueryContext(ctx, `SELECT c.cif FROM companies c JOIN memberships m ON m.company_id = c.id AND m.user_id = $1`, userID)
	if err != nil {
		return nil, s.wrap("partner cifs", err)
	}
	defer mine.Close()
	for mine.Next() {
		var c string
		if err := mine.Scan(&c); err != nil {
			return nil, s.wrap("partner cifs", err)
		}
		delete(byCIF, c)
	}
	if err := mine.Err(); err != nil {
		return nil, s.wrap("partner cifs", err)
	}
	out := make([]PartnerCIF, 0, len(byCIF))
	for _, p := range byCIF {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Invoices != out[j].Invoices {
			return out[i].Invoices > out[j].Invoices
		}
		return out[i].CIF < out[j].CIF
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
