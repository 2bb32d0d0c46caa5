package web

import (
	"bytes"
	"encoding/csv"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/efactura-gateway/efactura/internal/store"
)

var exportLinkRE = regexp.MustCompile(`href="(/export\?[^"]+)"`)

func TestDashboardExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", u)
	b.invoiceOf(t, c, "3000000001", "ALF-0001", "ALFA SOFT SRL")
	b.invoiceOf(t, c, "3000000002", "GMC-0002", "GAMMA CONSTRUCȚII SA")
	_, err := b.st.InsertInvoice(t.Context(), &store.Invoice{
		CompanyID: c.ID, ANAFID: "3000000003", MessageType: store.TypeSent, InvoiceNumber: "PF-1",
		IssueDate: "2026-01-10", IssuerName: "BETA TRADING SRL", ReceiverName: "Ion Popescu",
		CIFEmitent: c.CIF, CIFBeneficiar: "1850101123456", TotalAmount: "121.00", VATAmount: "21.00", ZIP: []byte("z"),
	})
	require.NoError(t, err)
	other := b.user(t, "o@example.ro", store.UserApproved, false)
	oc := b.company(t, "12345674", "ALFA SOFT SRL", other)

	br := b.browser(t)
	br.login(u.Email)

	// The dashboard lists the person's CNP masked and links exports that
	// carry its filters.
	p := br.get("/?company=" + itoa(c.ID) + "&q=alfa&tab=received")
	require.Equal(t, http.StatusOK, p.Status)
	links := exportLinkRE.FindAllStringSubmatch(p.Body, -1)
	require.Len(t, links, 4)
	csvURL := html.UnescapeString(links[0][1])
	require.Contains(t, csvURL, "format=csv")
	require.Contains(t, csvURL, "q=alfa")
	require.Contains(t, csvURL, "tab=received")
	require.Contains(t, html.UnescapeString(links[3][1]), "lines=1")
	all := br.get("/?company=" + itoa(c.ID))
	require.Contains(t, all.Body, "1*********456")
	require.NotContains(t, all.Body, "1850101123456")

	// CSV with the dashboard's filter: only ALFA's invoice.
	p = br.get(csvURL)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "text/csv; charset=utf-8", p.Header.Get("Content-Type"))
	require.Regexp(t, `^attachment; filename=facturi_98765438_\d{4}-\d{2}-\d{2}\.csv$`, p.Header.Get("Content-Disposition"))
	recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, "Număr", recs[0][4], "headers in the session's language")
	require.Equal(t, "ALF-0001", recs[1][4])
	require.Equal(t, "1190.00", recs[1][13])

	// Every invoice, masked CNP, English headers.
	p = br.get("/export?company=" + itoa(c.ID) + "&format=csv&lang=en")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	recs, err = csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, "Number", recs[0][4])
	require.Contains(t, p.Body, "1*********456")
	require.NotContains(t, p.Body, "1850101123456")

	// XLSX per line: numbers are numeric cells.
	p = br.get("/export?company=" + itoa(c.ID) + "&format=xlsx&lines=1&tab=received&lang=en")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", p.Header.Get("Content-Type"))
	x, err := excelize.OpenReader(bytes.NewReader([]byte(p.Body)))
	require.NoError(t, err)
	defer x.Close()
	rows, err := x.GetRows("Lines")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, "Servicii software", rows[1][13])
	require.Equal(t, "piece", rows[1][18])
	raw, err := x.GetCellValue("Lines", "U2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.Equal(t, "1000", raw)
	require.Equal(t, "1,000.00", rows[1][20])

	// Bad format or date: back to the dashboard with a message.
	p = br.get("/export?company=" + itoa(c.ID) + "&format=pdf")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.True(t, strings.HasPrefix(p.Location, "/?"), p.Location)
	p = br.get("/export?company=" + itoa(c.ID) + "&format=csv&from=31.02.2026")
	require.Equal(t, http.StatusSeeOther, p.Status)

	// Another company's export, or none named, is a 404.
	require.Equal(t, http.StatusNotFound, br.get("/export?company="+itoa(oc.ID)+"&format=csv").Status)
	require.Equal(t, http.StatusNotFound, br.get("/export?format=csv").Status)

	// Anonymous visitors are sent to log in.
	anon := b.browser(t)
	p = anon.get("/export?company=" + itoa(c.ID) + "&format=csv")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, p.Location, "/login")
}
