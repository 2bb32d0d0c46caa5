package compliance

import (
	"fmt"
	"testing"
	"time"
)

// benchInvoices is a year of n sent invoices in three series, with a gap
// every 1,000 numbers and a repeat every 5,000, sent 3 days after issue.
func benchInvoices(n int) []Invoice {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	invs := make([]Invoice, 0, n)
	for i := range n {
		num := i + 1
		if num%1000 == 0 {
			num++ // a gap
		}
		if num%5000 == 1 && num > 1 {
			num-- // a repeat
		}
		issue := start.AddDate(0, 0, i*365/n)
		invs = append(invs, Invoice{InvoiceID: int64(i + 1), SellerCIF: "12345674",
			Number: fmt.Sprintf("%s-2026-%06d", []string{"FCT", "NC", "AV"}[i%3], num), IssueDate: issue,
			Submitted: issue.Add(3*24*time.Hour + 10*time.Hour)})
	}
	return invs
}

func BenchmarkCheckNumbering(b *testing.B) {
	p, _ := ParsePattern("")
	for _, n := range []int{1_000, 100_000} {
		invs := benchInvoices(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckNumbering(invs, p, NumberingOptions{})
			}
		})
	}
}

func BenchmarkCheckDeadlines(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		invs := benchInvoices(n)
		today := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckDeadlines(invs, today)
			}
		})
	}
}
