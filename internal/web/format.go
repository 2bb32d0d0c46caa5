package web

import (
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/locale"
)

// The number formats are internal/locale's, which the invoice page and
// the PDF (internal/invoice/view) use too.

// formatMoney writes an amount as written in an invoice ("1234.5") with its
// ISO currency in lang: "1.234,50 lei" (ro, RON), "1,234.50 RON" (en).
// Text that is not a number is returned as is, with the currency.
func formatMoney(lang, amount, currency string) string { return locale.Money(lang, amount, currency) }

// currencyLabel is "lei" for RON in Romanian, else the ISO code.
func currencyLabel(lang, currency string) string { return locale.CurrencyLabel(lang, currency) }

// formatInt writes an integer with lang's thousands separator.
func formatInt(lang string, n int) string { return locale.Int(lang, n) }

// moneyTotal is a sum in one currency.
type moneyTotal struct {
	Currency string
	Amount   decimal.Decimal
}

// dashFigures are the dashboard's numbers for one company.
type dashFigures struct {
	ThisMonth int          // invoices issued this month (Europe/Bucharest)
	Received  []moneyTotal // last 12 months, by currency (most frequent first)
	Sent      []moneyTotal
	Chart     template.HTML // inline SVG; "" when there is nothing to draw
}

// chartMonths is how many months the chart and the totals cover.
const chartMonths = 12

// monthsBack lists the chartMonths months ending with now's month, oldest
// first, as "YYYY-MM".
func monthsBack(now time.Time) []string {
	now = now.In(bucharest)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, bucharest)
	out := make([]string, chartMonths)
	for i := range chartMonths {
		out[i] = first.AddDate(0, i-(chartMonths-1), 0).Format("2006-01")
	}
	return out
}

// buildFigures turns the monthly totals (summed by the database) into the
// dashboard's figures and chart. now decides the current month; lang the
// labels.
func buildFigures(lang string, totals []gateway.InvoiceMonthTotal, now time.Time) dashFigures {
	months := monthsBack(now)
	thisMonth := months[len(months)-1]
	type key struct{ month, currency string }
	received, sent := map[key]decimal.Decimal{}, map[key]decimal.Decimal{}
	count := map[string]int{}
	var f dashFigures
	for _, a := range totals {
		if a.Month == thisMonth {
			f.ThisMonth += a.Invoices
		}
		if a.Counted == 0 || a.Currency == "" || len(a.Month) < 7 {
			continue
		}
		k := key{a.Month, a.Currency}
		switch a.MessageType {
		case gateway.TypeReceived:
			received[k] = received[k].Add(a.Total)
		case gateway.TypeSent:
			sent[k] = sent[k].Add(a.Total)
		default:
			continue
		}
		count[a.Currency] += a.Counted
	}
	currencies := make([]string, 0, len(count))
	for c := range count {
		currencies = append(currencies, c)
	}
	sort.Slice(currencies, func(i, j int) bool {
		if count[currencies[i]] != count[currencies[j]] {
			return count[currencies[i]] > count[currencies[j]]
		}
		return currencies[i] < currencies[j]
	})
	sum := func(m map[key]decimal.Decimal) []moneyTotal {
		var out []moneyTotal
		for _, c := range currencies {
			var t decimal.Decimal
			seen := false
			for k, v := range m {
				if k.currency == c {
					t, seen = t.Add(v), true
				}
			}
			if seen {
				out = append(out, moneyTotal{Currency: c, Amount: t})
			}
		}
		return out
	}
	f.Received, f.Sent = sum(received), sum(sent)
	if len(currencies) > 0 {
		main := currencies[0]
		rec, snt := make([]decimal.Decimal, len(months)), make([]decimal.Decimal, len(months))
		for i, m := range months {
			rec[i], snt[i] = received[key{m, main}], sent[key{m, main}]
		}
		f.Chart = cachedChartSVG(lang, main, months, rec, snt)
	}
	return f
}

// chartCache holds recent charts by their data: drawing one was ≈ 8 % of
// a dashboard view's CPU (issue 16) and the same company's chart stays the
// same until its invoices change. Bounded: emptied when full.
var chartCache = struct {
	sync.Mutex
	m map[string]template.HTML
}{m: map[string]template.HTML{}}

// chartCacheMax bounds chartCache (a chart is a few KB).
const chartCacheMax = 512

// cachedChartSVG is monthlyChartSVG, reused while its data is the same.
func cachedChartSVG(lang, currency string, months []string, received, sent []decimal.Decimal) template.HTML {
	var k strings.Builder
	k.WriteString(lang)
	k.WriteByte(0)
	k.WriteString(currency)
	for i, m := range months {
		k.WriteByte(0)
		k.WriteString(m)
		k.WriteByte(0)
		k.WriteString(received[i].String())
		k.WriteByte(0)
		k.WriteString(sent[i].String())
	}
	key := k.String()
	chartCache.Lock()
	svg, ok := chartCache.m[key]
	chartCache.Unlock()
	if ok {
		return svg
	}
	svg = monthlyChartSVG(lang, currency, months, received, sent)
	chartCache.Lock()
	if len(chartCache.m) >= chartCacheMax {
		clear(chartCache.m)
	}
	chartCache.m[key] = svg
	chartCache.Unlock()
	return svg
}

// monthlyChartSVG draws grouped bars (received, sent) per month as inline
// SVG. Colours come from app.css classes (no inline styles: strict CSP);
// every bar has a <title> for pointer users and the figure a text
// description for screen readers.
func monthlyChartSVG(lang, currency string, months []string, received, sent []decimal.Decimal) template.HTML {
	const (
		width, height      = 720, 240
		left, right        = 70, 10
		top, bottom        = 20, 40
		plotW, plotH       = width - left - right, height - top - bottom
		barGap, groupInset = 2, 6
	)
	maxV := decimal.Zero
	for i := range months {
		maxV = decimal.Max(maxV, received[i], sent[i])
	}
	if maxV.IsZero() {
		maxV = decimal.NewFromInt(1)
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	title := translate(lang, "chart.title", currencyLabel(lang, currency))
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`, width, height)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`, esc(title))
	var desc []string
	for i, m := range months {
		desc = append(desc, fmt.Sprintf("%s: %s %s, %s %s", monthLabel(lang, m),
			translate(lang, "chart.received"), formatMoney(lang, received[i].String(), currency),
			translate(lang, "chart.sent"), formatMoney(lang, sent[i].String(), currency)))
	}
	fmt.Fprintf(&b, `<desc id="chart-desc">%s</desc>`, esc(strings.Join(desc, "; ")))
	// Axis and grid: 0, half, max.
	for _, frac := range []float64{0, 0.5, 1} {
		y := float64(top) + float64(plotH)*(1-frac)
		v := maxV.Mul(decimal.NewFromFloat(frac)).Round(0)
		fmt.Fprintf(&b, `<line class="chart-grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, left, y, width-right, y)
		fmt.Fprintf(&b, `<text class="chart-axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, esc(formatInt(lang, int(v.IntPart()))))
	}
	groupW := float64(plotW) / float64(len(months))
	barW := (groupW - 2*groupInset - barGap) / 2
	maxF := maxV.InexactFloat64()
	for i, m := range months {
		x0 := float64(left) + groupW*float64(i) + groupInset
		for j, v := range []decimal.Decimal{received[i], sent[i]} {
			h := v.InexactFloat64() / maxF * float64(plotH)
			if h < 0 {
				h = 0
			}
			class, label := "chart-received", translate(lang, "chart.received")
			if j == 1 {
				class, label = "chart-sent", translate(lang, "chart.sent")
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`,
				class, x0+float64(j)*(barW+barGap), float64(top)+float64(plotH)-h, barW, h,
				esc(monthLabel(lang, m)+" — "+label+": "+formatMoney(lang, v.String(), currency)))
		}
		fmt.Fprintf(&b, `<text class="chart-axis" x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			x0+barW+barGap/2.0, height-bottom+16, esc(monthLabel(lang, m)))
	}
	// Legend.
	lx := width - right - 230
	fmt.Fprintf(&b, `<rect class="chart-received" x="%d" y="%d" width="12" height="12"/><text class="chart-axis" x="%d" y="%d">%s</text>`,
		lx, height-14, lx+16, height-4, esc(translate(lang, "chart.received")))
	fmt.Fprintf(&b, `<rect class="chart-sent" x="%d" y="%d" width="12" height="12"/><text class="chart-axis" x="%d" y="%d">%s</text>`,
		lx+120, height-14, lx+136, height-4, esc(translate(lang, "chart.sent")))
	b.WriteString(`</svg>`)
	b.WriteString(monthlyChartPhoneSVG(lang, currency, months, received, sent))
	return template.HTML(b.String()) //nolint:gosec // every text above is escaped
}

// monthlyChartPhoneSVG is the chart for a phone (app.css shows it instead
// of the wide one below 640 px): one row per month, newest first, with
// horizontal bars and each value written beside its bar, so nothing needs
// an axis or sideways scrolling at 360 px. Aria-hidden: the wide chart's
// description says the same to screen readers.
func monthlyChartPhoneSVG(lang, currency string, months []string, received, sent []decimal.Decimal) string {
	const (
		width           = 340
		labelW, valueW  = 62, 92
		rowH, barH, gap = 34, 11, 2
		legendH         = 24
	)
	barMax := float64(width - labelW - valueW - 8)
	maxV := decimal.Zero
	for i := range months {
		maxV = decimal.Max(maxV, received[i], sent[i])
	}
	if maxV.IsZero() {
		maxV = decimal.NewFromInt(1)
	}
	maxF := maxV.InexactFloat64()
	esc := template.HTMLEscapeString
	height := legendH + rowH*len(months)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart-phone" viewBox="0 0 %d %d" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">`, width, height)
	fmt.Fprintf(&b, `<rect class="chart-received" x="0" y="4" width="12" height="12"/><text class="chart-axis" x="16" y="14">%s</text>`,
		esc(translate(lang, "chart.received")))
	fmt.Fprintf(&b, `<rect class="chart-sent" x="110" y="4" width="12" height="12"/><text class="chart-axis" x="126" y="14">%s</text>`,
		esc(translate(lang, "chart.sent")))
	fmt.Fprintf(&b, `<text class="chart-axis" x="%d" y="14" text-anchor="end">%s</text>`, width, esc(currencyLabel(lang, currency)))
	for row := range months {
		i := len(months) - 1 - row // newest first
		y := legendH + rowH*row
		fmt.Fprintf(&b, `<line class="chart-grid" x1="0" y1="%d" x2="%d" y2="%d"/>`, y, width, y)
		fmt.Fprintf(&b, `<text class="chart-axis" x="0" y="%d">%s</text>`, y+rowH/2+4, esc(monthLabel(lang, months[i])))
		for j, v := range []decimal.Decimal{received[i], sent[i]} {
			class := "chart-received"
			if j == 1 {
				class = "chart-sent"
			}
			w := v.InexactFloat64() / maxF * barMax
			if w < 0 {
				w = 0
			}
			by := y + 5 + j*(barH+gap)
			fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d"/>`, class, labelW, by, w, barH)
			fmt.Fprintf(&b, `<text class="chart-axis chart-value" x="%d" y="%d" text-anchor="end">%s</text>`,
				width, by+barH-1, esc(formatInt(lang, int(v.Round(0).IntPart()))))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// monthLabel writes "2026-03" as "mar. 2026" (ro) or "Mar 2026" (en).
func monthLabel(lang, ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	names := strings.Split(translate(lang, "chart.months"), ",")
	if len(names) != 12 {
		return ym
	}
	return names[t.Month()-1] + " " + strconv.Itoa(t.Year()%100)
}
