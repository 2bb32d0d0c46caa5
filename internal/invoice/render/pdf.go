package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/border"
	"github.com/johnfercher/maroto/v2/pkg/consts/breakline"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/props"
	"github.com/johnfercher/maroto/v2/pkg/repository"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
)

// Page geometry, millimetres (A4 portrait).
const (
	pageHeight   = 297.0
	marginLeft   = 12.0
	marginRight  = 12.0
	marginTop    = 12.0
	marginBottom = 14.0
	usableHeight = pageHeight - marginTop - marginBottom
	grid         = 48 // columns of the layout grid
	fontFamily   = "go"
	// maxCellRunes bounds one table cell's text so that a pathological
	// line name cannot make a row taller than a page.
	maxCellRunes = 1200
)

var (
	black     = &props.Color{Red: 17, Green: 17, Blue: 17}
	grey      = &props.Color{Red: 90, Green: 90, Blue: 90}
	lightGrey = &props.Color{Red: 205, Green: 205, Blue: 205}
	headBg    = &props.Color{Red: 232, Green: 232, Blue: 232}
)

// goFonts are the Go fonts (regular and bold) registered from their
// TTF bytes: no font file is read at run time. The TTFs have both the
// comma-below (ș ț Ș Ț) and the cedilla (ş ţ Ş Ţ) letters.
var goFonts = sync.OnceValues(func() ([]*entity.CustomFont, error) {
	return repository.New().
		AddUTF8FontFromBytes(fontFamily, fontstyle.Normal, goregular.TTF).
		AddUTF8FontFromBytes(fontFamily, fontstyle.Bold, gobold.TTF).
		Load()
})

// PDF writes inv as an A4 PDF made locally with maroto and the Go fonts,
// from the same view model (internal/invoice/view) as the web invoice
// page: a header with the document type (Factură, Notă de credit, Factură
// storno …), number and dates; seller and buyer (name, VAT id, legal id,
// address with county and country by name), payee, tax representative
// and delivery; the lines table (with each line's allowances, charges and
// details), which breaks across pages and repeats its header on every
// page; document-level allowances and charges; the VAT breakdown (BG-23);
// totals BT-106…BT-115; payment means (account, account name, bank);
// notes; attachments; and, when facts is not nil, ANAF's message id,
// upload id, message type and time. Every page carries "<type> <number>
// din <date> · pagina N din M" at the bottom. Amounts are in the
// language's format with their currency.
//
// Errors: ErrNoInvoice for a nil inv; a font or PDF generation failure or
// the writer's error, wrapped.
func PDF(w io.Writer, inv *invoice.Invoice, facts *ANAFFacts, opts ...Option) error {
	if inv == nil {
		return ErrNoInvoice
	}
	fonts, err := goFonts()
	if err != nil {
		return fmt.Errorf("render: pdf: load fonts: %w", err)
	}
	v := newView(inv, facts, buildOptions(opts))
	cfg := config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithLeftMargin(marginLeft).WithRightMargin(marginRight).
		WithTopMargin(marginTop).WithBottomMargin(marginBottom).
		WithMaxGridSize(grid).
		WithCustomFonts(fonts).
		WithDefaultFont(&props.Font{Family: fontFamily, Style: fontstyle.Normal, Size: 9, Color: black}).
		WithPageNumber(props.PageNumber{Pattern: v.Footer + " · " + v.L.Page, Place: props.Bottom,
			Family: fontFamily, Style: fontstyle.Normal, Size: 7, Color: grey}).
		WithTitle(strings.TrimSpace(v.Title+" "+v.Number), true).
		WithSubject(v.Footer, true).
		WithCreator("eFactura Gateway", true).
		WithCreationDate(creationDate(inv, facts)).
		WithCompression(true).
		Build()
	p := &pdfDoc{m: maroto.New(cfg), v: v}
	if err := p.build(); err != nil {
		return fmt.Errorf("render: pdf: %w", err)
	}
	doc, err := p.m.Generate()
	if err != nil {
		return fmt.Errorf("render: pdf: generate: %w", err)
	}
	if _, err := w.Write(doc.GetBytes()); err != nil {
		return fmt.Errorf("render: pdf: write: %w", err)
	}
	return nil
}

type pdfDoc struct {
	m core.Maroto
	v *view.View
}

// txt is a text style: size in points, padding 1 mm left and right.
func txt(size float64, style fontstyle.Type, al align.Type) props.Text {
	return props.Text{Family: fontFamily, Style: style, Size: size, Align: al, Left: 1, Right: 1, Top: 1, Bottom: 1,
		BreakLineStrategy: breakline.EmptySpaceStrategy, Color: black}
}

func withColor(p props.Text, c *props.Color) props.Text { p.Color = c; return p }

func withTop(p props.Text, top float64) props.Text { p.Top = top; return p }

func withBottom(p props.Text, bottom float64) props.Text { p.Bottom = bottom; return p }

func withLeft(p props.Text, left float64) props.Text { p.Left = left; return p }

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxCellRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxCellRunes]) + "…"
}

func (p *pdfDoc) build() error {
	p.header()
	p.parties()
	if err := p.lines(); err != nil {
		return err
	}
	p.charges()
	p.vat()
	p.totals()
	pays := make([]string, 0, len(p.v.Payments)+1)
	for _, pm := range p.v.Payments {
		pays = append(pays, pm.Text())
	}
	if p.v.Terms != "" {
		pays = append(pays, p.v.L.PaymentTerms+": "+p.v.Terms)
	}
	p.list(p.v.L.PaymentTitle, pays)
	p.list(p.v.L.NotesTitle, p.v.Notes)
	p.list(p.v.L.AttachTitle, p.v.Attach)
	p.facts()
	p.m.AddRows(row.New(2))
	p.m.AddAutoRow(text.NewCol(grid, p.v.L.Disclaimer, withColor(txt(7, fontstyle.Normal, align.Left), grey)))
	return nil
}

// ensureSpace starts a new page unless h millimetres fit on this one, so a
// small section is not split from its title. On an empty page it does
// nothing: a section taller than a page breaks where it must.
func (p *pdfDoc) ensureSpace(h float64) {
	if p.m.FitlnCurrentPage(h) {
		return
	}
	lo, hi := 0.0, usableHeight
	for range 24 { // remaining space, to 0.00002 mm
		mid := (lo + hi) / 2
		if p.m.FitlnCurrentPage(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo >= usableHeight-1 || lo < 0.1 {
		return
	}
	p.m.AddRow(lo - 0.05) // fills the page; the next row starts a new one
}

func (p *pdfDoc) sectionTitle(title string) core.Row {
	return row.New(8).Add(text.NewCol(grid, strings.ToUpper(title), withTop(txt(9.5, fontstyle.Bold, align.Left), 3))).
		WithStyle(&props.Cell{BorderType: border.Bottom, BorderColor: grey, BorderThickness: 0.3})
}

// labelled is a cell with a small grey label above a bold value.
func labelled(size int, label, value string) core.Col {
	return col.New(size).Add(
		text.New(label, withColor(withTop(txt(7, fontstyle.Normal, align.Left), 0.5), grey)),
		text.New(value, withBottom(withTop(txt(9.5, fontstyle.Bold, align.Left), 3.8), 1.2)),
	)
}

func (p *pdfDoc) header() {
	v := p.v
	p.m.AddRows(row.New(13).Add(
		text.NewCol(28, v.Title, withTop(txt(18, fontstyle.Bold, align.Left), 2)),
		text.NewCol(20, strings.TrimSpace(v.L.Number+" "+v.Number), withTop(txt(13, fontstyle.Bold, align.Right), 4.5)),
	).WithStyle(&props.Cell{BorderType: border.Bottom, BorderColor: black, BorderThickness: 0.6}))
	p.m.AddRows(row.New(2))
	p.labelledRows(v.Meta, 4)
}

// labelledRows lays kvs out perRow to a row, each a labelled cell.
func (p *pdfDoc) labelledRows(kvs []view.KV, perRow int) {
	for i := 0; i < len(kvs); i += perRow {
		r := row.New() // auto height: a long value wraps
		for _, m := range kvs[i:min(i+perRow, len(kvs))] {
			r.Add(labelled(grid/perRow, m.K, m.V))
		}
		p.m.AddRows(r)
	}
}

// parties draws the parties two by two: seller and buyer, then payee,
// tax representative and delivery when there are.
func (p *pdfDoc) parties() {
	ps := p.v.Parties()
	for i := 0; i < len(ps); i += 2 {
		var b view.Party
		if i+1 < len(ps) {
			b = ps[i+1]
		}
		p.partyPair(ps[i], b)
	}
}

func (p *pdfDoc) partyPair(s, b view.Party) {
	role := txt(9, fontstyle.Bold, align.Left)
	roleStyle := &props.Cell{BackgroundColor: headBg}
	p.m.AddRows(row.New(4))
	right := col.New(23)
	if b.Role != "" {
		right = text.NewCol(23, strings.ToUpper(b.Role), withTop(role, 1.5)).WithStyle(roleStyle)
	}
	p.ensureSpace(6.5 + 6 + 4*float64(min(max(len(s.Rows), len(b.Rows)), 6)))
	p.m.AddRows(row.New(6.5).Add(
		text.NewCol(23, strings.ToUpper(s.Role), withTop(role, 1.5)).WithStyle(roleStyle),
		col.New(2),
		right,
	))
	name := txt(10.5, fontstyle.Bold, align.Left)
	if s.Name != "" || b.Name != "" {
		p.m.AddAutoRow(text.NewCol(23, s.Name, name), col.New(2), text.NewCol(23, b.Name, name))
	}
	n := max(len(s.Rows), len(b.Rows))
	body := txt(8.5, fontstyle.Normal, align.Left)
	body.Top, body.Bottom = 0.4, 0.4
	cell := func(rows []view.KV, i int) core.Col {
		if i >= len(rows) {
			return col.New(23)
		}
		return text.NewCol(23, clip(rows[i].K+": "+rows[i].V), body)
	}
	for i := range n {
		p.m.AddAutoRow(cell(s.Rows, i), col.New(2), cell(b.Rows, i))
	}
}

// line table columns: no., name, unit, quantity, price, net, VAT.
var lineCols = [7]int{2, 17, 4, 4, 8, 8, 5}

func (p *pdfDoc) lines() error {
	v := p.v
	L := v.L
	p.m.AddRows(row.New(4))
	head := txt(8, fontstyle.Bold, align.Left)
	headR := txt(8, fontstyle.Bold, align.Right)
	headRow := row.New(7).Add(
		text.NewCol(lineCols[0], L.ColNo, withTop(head, 2)),
		text.NewCol(lineCols[1], L.ColName, withTop(head, 2)),
		text.NewCol(lineCols[2], L.ColUnit, withTop(head, 2)),
		text.NewCol(lineCols[3], L.ColQty, withTop(headR, 2)),
		text.NewCol(lineCols[4], L.ColPrice, withTop(headR, 2)),
		text.NewCol(lineCols[5], L.ColNet, withTop(headR, 2)),
		text.NewCol(lineCols[6], L.ColVAT, withTop(headR, 2)),
	).WithStyle(&props.Cell{BackgroundColor: headBg, BorderType: border.Bottom, BorderColor: grey, BorderThickness: 0.3})
	caption := row.New(8).Add(
		text.NewCol(28, strings.ToUpper(L.LinesTitle), withTop(txt(9.5, fontstyle.Bold, align.Left), 3)),
		text.NewCol(20, strings.TrimSpace(v.Title+" "+v.Number), withColor(withTop(txt(8, fontstyle.Normal, align.Right), 3.5), grey)),
	)
	// Caption, header and a first line stay together; both then repeat on
	// every page the table continues on (maroto's page header), and the
	// header is dropped again after the table.
	p.ensureSpace(8 + 7 + 12)
	if err := p.m.RegisterHeader(caption, headRow); err != nil {
		return fmt.Errorf("lines header: %w", err)
	}
	if len(v.Lines) == 0 {
		p.m.AddAutoRow(text.NewCol(grid, L.NoLines, txt(8.5, fontstyle.Normal, align.Left)))
	}
	cellL := txt(8, fontstyle.Normal, align.Left)
	cellR := txt(8, fontstyle.Normal, align.Right)
	rule := &props.Cell{BorderType: border.Bottom, BorderColor: lightGrey, BorderThickness: 0.15}
	for _, ln := range v.Lines {
		name := ln.Name
		if ln.Description != "" && ln.Description != ln.Name {
			name = strings.TrimSpace(name + " — " + ln.Description)
		}
		lineRule := rule
		if len(ln.Details) > 0 {
			lineRule = nil
		}
		p.m.AddRows(row.New().Add(
			text.NewCol(lineCols[0], clip(ln.ID), cellL),
			text.NewCol(lineCols[1], clip(name), cellL),
			text.NewCol(lineCols[2], clip(ln.Unit), cellL),
			text.NewCol(lineCols[3], clip(ln.Quantity), cellR),
			text.NewCol(lineCols[4], clip(ln.Price), cellR),
			text.NewCol(lineCols[5], clip(ln.Net), cellR),
			text.NewCol(lineCols[6], clip(ln.VAT), cellR),
		).WithStyle(lineRule))
		if len(ln.Details) > 0 {
			// The line's details span the table below its name, so that
			// their text never interleaves with the other columns.
			p.m.AddRows(row.New().Add(
				col.New(lineCols[0]),
				text.NewCol(grid-lineCols[0], clip(strings.Join(ln.Details, " · ")), withColor(withTop(txt(7.5, fontstyle.Normal, align.Left), 0), grey)),
			).WithStyle(rule))
		}
	}
	return p.m.RegisterHeader() // no header after the table
}

// charge table columns: kind, reason, base, percent, amount, VAT.
var chargeCols = [6]int{7, 14, 8, 5, 8, 6}

// charges draws the document-level allowances and charges (BG-20, BG-21).
func (p *pdfDoc) charges() {
	cs := p.v.Charges
	if len(cs) == 0 {
		return
	}
	L := p.v.L
	p.m.AddRows(row.New(2.5))
	p.ensureSpace(8 + 7 + 7*float64(min(len(cs), 6)))
	p.m.AddRows(p.sectionTitle(L.ChargesTitle))
	head := withTop(txt(8, fontstyle.Bold, align.Left), 2)
	headR := withTop(txt(8, fontstyle.Bold, align.Right), 2)
	p.m.AddRows(row.New(7).Add(
		text.NewCol(chargeCols[0], L.ColKind, head),
		text.NewCol(chargeCols[1], L.ColReason, head),
		text.NewCol(chargeCols[2], L.ColBase, headR),
		text.NewCol(chargeCols[3], L.ColPercent, headR),
		text.NewCol(chargeCols[4], L.ColAmount, headR),
		text.NewCol(chargeCols[5], L.ColVAT, headR),
	).WithStyle(&props.Cell{BackgroundColor: headBg}))
	cellL := txt(8.5, fontstyle.Normal, align.Left)
	cellR := txt(8.5, fontstyle.Normal, align.Right)
	rule := &props.Cell{BorderType: border.Bottom, BorderColor: lightGrey, BorderThickness: 0.15}
	for _, c := range cs {
		p.m.AddRows(row.New().Add(
			text.NewCol(chargeCols[0], clip(c.Kind), cellL),
			text.NewCol(chargeCols[1], clip(c.Reason), cellL),
			text.NewCol(chargeCols[2], clip(c.Base), cellR),
			text.NewCol(chargeCols[3], clip(c.Percent), cellR),
			text.NewCol(chargeCols[4], clip(c.Amount), cellR),
			text.NewCol(chargeCols[5], clip(c.VAT), cellR),
		).WithStyle(rule))
	}
}

// vat table columns: category, rate, taxable amount, tax amount, exemption.
var vatCols = [5]int{10, 4, 10, 10, 14}

func (p *pdfDoc) vat() {
	if len(p.v.VAT) == 0 {
		return
	}
	L := p.v.L
	p.m.AddRows(row.New(2.5))
	p.ensureSpace(8 + 7 + 7*float64(len(p.v.VAT)))
	p.m.AddRows(p.sectionTitle(L.VATTitle))
	head := withTop(txt(8, fontstyle.Bold, align.Left), 2)
	headR := withTop(txt(8, fontstyle.Bold, align.Right), 2)
	p.m.AddRows(row.New(7).Add(
		text.NewCol(vatCols[0], L.VATCategory, head),
		text.NewCol(vatCols[1], L.VATRate, headR),
		text.NewCol(vatCols[2], L.VATTaxable, headR),
		text.NewCol(vatCols[3], L.VATAmount, headR),
		text.NewCol(vatCols[4], L.VATExemption, withLeft(head, 4)),
	).WithStyle(&props.Cell{BackgroundColor: headBg}))
	cellL := txt(8.5, fontstyle.Normal, align.Left)
	cellR := txt(8.5, fontstyle.Normal, align.Right)
	rule := &props.Cell{BorderType: border.Bottom, BorderColor: lightGrey, BorderThickness: 0.15}
	for _, s := range p.v.VAT {
		p.m.AddRows(row.New().Add(
			text.NewCol(vatCols[0], clip(s.Category), cellL),
			text.NewCol(vatCols[1], clip(s.Rate), cellR),
			text.NewCol(vatCols[2], clip(s.Taxable), cellR),
			text.NewCol(vatCols[3], clip(s.Tax), cellR),
			text.NewCol(vatCols[4], clip(s.Exemption), withLeft(cellL, 4)),
		).WithStyle(rule))
	}
}

func (p *pdfDoc) totals() {
	if len(p.v.Totals) == 0 {
		return
	}
	p.m.AddRows(row.New(2.5))
	p.ensureSpace(8 + 5.6*float64(len(p.v.Totals)))
	p.m.AddRows(p.sectionTitle(p.v.L.TotalsTitle))
	for _, t := range p.v.Totals {
		style := fontstyle.Normal
		size := 9.0
		cell := &props.Cell{BorderType: border.Bottom, BorderColor: lightGrey, BorderThickness: 0.15}
		if t.Strong {
			style, size = fontstyle.Bold, 10
			cell = &props.Cell{BackgroundColor: headBg, BorderType: border.Bottom, BorderColor: grey, BorderThickness: 0.3}
		}
		p.m.AddRows(row.New(5.6).Add(
			col.New(22),
			text.NewCol(15, t.Label, withTop(txt(size, style, align.Left), 1.1)).WithStyle(cell),
			text.NewCol(11, t.Value, withTop(txt(size, style, align.Right), 1.1)).WithStyle(cell),
		))
	}
}

func (p *pdfDoc) list(title string, items []string) {
	if len(items) == 0 {
		return
	}
	p.m.AddRows(row.New(2))
	p.ensureSpace(8 + 6)
	p.m.AddRows(p.sectionTitle(title))
	body := txt(8.5, fontstyle.Normal, align.Left)
	body.Top, body.Bottom = 0.8, 0.8
	for _, it := range items {
		p.m.AddAutoRow(text.NewCol(grid, clip(it), body))
	}
}

func (p *pdfDoc) facts() {
	f := p.v.Facts
	if len(f) == 0 {
		return
	}
	p.m.AddRows(row.New(2))
	p.ensureSpace(8 + 10*float64((len(f)+3)/4))
	p.m.AddRows(p.sectionTitle(p.v.L.ANAFTitle))
	p.labelledRows(f, 4)
}

// creationDate is the PDF's creation date: ANAF's time for the message, else
// the issue date, else the Unix epoch — never the clock, so a PDF says when
// the invoice was, not when it was drawn. (The bytes of two renders may
// still differ: gofpdf writes its font objects in map order, and maroto
// does not expose gofpdf's SetCatalogSort.)
func creationDate(inv *invoice.Invoice, facts *ANAFFacts) time.Time {
	if facts != nil && !facts.ReceivedAt.IsZero() {
		return facts.ReceivedAt.UTC()
	}
	if d, err := time.Parse(time.DateOnly, inv.IssueDate); err == nil {
		return d.UTC()
	}
	return time.Unix(0, 0).UTC()
}
