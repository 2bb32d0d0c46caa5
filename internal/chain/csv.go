package chain

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

// EntriesHeader is the header of a chain CSV (an audit pack's chain.csv).
var EntriesHeader = []string{"company_id", "seq", "invoice_id", "message_id", "zip_sha256", "prev_hash", "entry_hash", "created_at"}

// HeadsHeader is the header of a daily heads CSV (the exported digest).
var HeadsHeader = []string{"day", "company_id", "cif", "seq", "entry_hash"}

// Head is a chain's head on a day (the daily digest): its last entry's
// seq and hash. Day is the UTC date, yyyy-mm-dd.
type Head struct {
	Day       string
	CompanyID int64
	CIF       string
	Seq       int64
	EntryHash string
}

// EntryRecord is e as a CSV record (EntriesHeader).
func EntryRecord(e Entry) []string {
	return []string{strconv.FormatInt(e.CompanyID, 10), strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.InvoiceID, 10),
		e.ANAFID, e.ZIPSHA256, e.PrevHash, e.EntryHash, e.CreatedAt.UTC().Format(TimeLayout)}
}

// HeadRecord is h as a CSV record (HeadsHeader).
func HeadRecord(h Head) []string {
	return []string{h.Day, strconv.FormatInt(h.CompanyID, 10), h.CIF, strconv.FormatInt(h.Seq, 10), h.EntryHash}
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

var dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ReadEntries reads a chain CSV written with EntriesHeader, calling fn
// for each entry in file order. A malformed file is an error naming its line.
func ReadEntries(r io.Reader, fn func(Entry) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(EntriesHeader)
	if err := header(cr, EntriesHeader); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("chain file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		var e Entry
		var perr error
		num := func(s string) int64 {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%q is not a number", s)
			}
			return n
		}
		e.CompanyID, e.Seq, e.InvoiceID = num(rec[0]), num(rec[1]), num(rec[2])
		e.ANAFID, e.ZIPSHA256, e.PrevHash, e.EntryHash = rec[3], rec[4], rec[5], rec[6]
		if perr == nil {
			for _, h := range rec[4:7] {
				if !hexHash.MatchString(h) {
					perr = fmt.Errorf("%q is not a SHA-256 in lowercase hex", h)
				}
			}
		}
		if perr == nil {
			e.CreatedAt, perr = time.Parse(TimeLayout, rec[7])
		}
		if perr != nil {
			return fmt.Errorf("chain file line %d: %w", line, perr)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// ReadHeads reads a daily heads CSV written with HeadsHeader.
func ReadHeads(r io.Reader) ([]Head, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(HeadsHeader)
	if err := header(cr, HeadsHeader); err != nil {
		return nil, err
	}
	var heads []Head
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return heads, nil
		}
		if err != nil {
			return nil, fmt.Errorf("heads file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		h := Head{Day: rec[0], CIF: rec[2], EntryHash: rec[4]}
		var e1, e2 error
		h.CompanyID, e1 = strconv.ParseInt(rec[1], 10, 64)
		h.Seq, e2 = strconv.ParseInt(rec[3], 10, 64)
		if e1 != nil || e2 != nil || h.Seq < 1 || !hexHash.MatchString(h.EntryHash) || !dayRE.MatchString(h.Day) {
			return nil, fmt.Errorf("heads file line %d: expected day (yyyy-mm-dd), company id, CIF, seq (1 or more) and a lowercase hex SHA-256", line)
		}
		heads = append(heads, h)
	}
}

func header(cr *csv.Reader, want []string) error {
	rec, err := cr.Read()
	if err != nil {
		return fmt.Errorf("expected the header %v: %w", want, err)
	}
	for i := range want {
		if rec[i] != want[i] {
			return fmt.Errorf("expected the header %v, found %v", want, rec)
		}
	}
	return nil
}
