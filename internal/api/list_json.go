package api

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The invoice list is the API's most frequent answer: it is written
// without reflection, byte for byte as writeJSON (encoding/json, HTML
// escaping on) writes it — TestListJSONMatchesEncodingJSON and
// FuzzListJSON compare the two.

var listBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// writeInvoiceList answers 200 with l, as writeJSON would.
func writeInvoiceList(w http.ResponseWriter, l *listResponse) {
	bp := listBufs.Get().(*[]byte)
	b := l.appendJSON((*bp)[:0])
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		listBufs.Put(bp)
	}
}

func (l *listResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"data":`...)
	if l.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range l.Data {
			if i > 0 {
				b = append(b, ',')
			}
			b = l.Data[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"meta":{"company_cif":`...)
	b = appendJSONString(b, l.Meta.CompanyCIF)
	b = append(b, `,"company_id":`...)
	b = strconv.AppendInt(b, l.Meta.CompanyID, 10)
	p := &l.Pagination
	b = append(b, `},"pagination":{"has_next":`...)
	b = strconv.AppendBool(b, p.HasNext)
	b = append(b, `,"has_prev":`...)
	b = strconv.AppendBool(b, p.HasPrev)
	b = append(b, `,"page":`...)
	b = strconv.AppendInt(b, int64(p.Page), 10)
	b = append(b, `,"pages":`...)
	b = strconv.AppendInt(b, int64(p.Pages), 10)
	b = append(b, `,"per_page":`...)
	b = strconv.AppendInt(b, int64(p.PerPage), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(p.Total), 10)
	return append(b, "}}\n"...)
}

func (v *invoiceJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, v.ID, 10)
	b = append(b, `,"anaf_id":`...)
	b = appendJSONString(b, v.ANAFID)
	b = append(b, `,"invoice_type":`...)
	b = appendJSONString(b, v.InvoiceType)
	b = appendStringField(b, `,"cif_emitent":`, v.CIFEmitent)
	b = appendStringField(b, `,"cif_beneficiar":`, v.CIFBeneficiar)
	b = appendStringField(b, `,"issuer_name":`, v.IssuerName)
	b = appendStringField(b, `,"receiver_name":`, v.ReceiverName)
	b = appendStringField(b, `,"supplier_name":`, v.SupplierName)
	b = appendStringField(b, `,"supplier_cif":`, v.SupplierCIF)
	b = appendStringField(b, `,"invoice_number":`, v.InvoiceNumber)
	b = appendStringField(b, `,"invoice_date":`, v.InvoiceDate)
	b = appendStringField(b, `,"due_date":`, v.DueDate)
	b = appendStringField(b, `,"currency":`, v.Currency)
	b = append(b, `,"total_amount":`...)
	b = appendNumber(b, v.TotalAmount)
	b = append(b, `,"vat_amount":`...)
	b = appendNumber(b, v.VATAmount)
	b = append(b, `,"synced_at":`...)
	b = appendJSONString(b, v.SyncedAt)
	b = append(b, `,"download_url":`...)
	b = appendJSONString(b, v.DownloadURL)
	b = append(b, `,"parse_status":`...)
	b = appendJSONString(b, v.ParseStatus)
	b = appendStringField(b, `,"parse_error":`, v.ParseError)
	b = appendIDField(b, `,"duplicate_of":`, v.DuplicateOf)
	b = appendIDField(b, `,"conflict_of":`, v.ConflictOf)
	return append(b, '}')
}

// appendNumber appends an amount of decimalJSON (compact JSON: a number
// or null) as it is; an empty one is null.
func appendNumber(b []byte, m []byte) []byte {
	if len(m) == 0 {
		return append(b, "null"...)
	}
	return append(b, m...)
}

func appendStringField(b []byte, name string, s *string) []byte {
	b = append(b, name...)
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

func appendIDField(b []byte, name string, id *int64) []byte {
	b = append(b, name...)
	if id == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *id, 10)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// does with HTML escaping: ", \ and control characters escaped (\b \f \n
// \r \t by name, the others as \u00XX), <, > and & as \u003c, \u003e,
// \u0026, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
