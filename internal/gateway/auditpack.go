package gateway

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/locale"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// The audit pack (issue 20, part 4; docs/compliance.md): one ZIP with a
// period's original ANAF ZIPs, their PDFs, an index, the company's chain,
// its daily heads, a README and a SHA256SUMS manifest, written as it is
// read (streamed), so an auditor can check offline that nothing was
// altered or removed.

// AuditPackMax is the most invoices one audit pack holds (each PDF is
// rendered under the render guard): a longer period is refused, to be
// asked for in parts.
var AuditPackMax = 2000

// Refusals of AuditPack.
var (
	ErrAuditPeriod   = &Error{Kind: KindInvalid, Code: "invalid_period", Field: "from", Msg: "Give the period as two days (from, to; yyyy-mm-dd or dd.mm.yyyy), from not after to."}
	ErrAuditTooLarge = &Error{Kind: KindInvalid, Code: "audit_pack_too_large", Msg: "too many invoices in the period for one audit pack"}
)

// AuditPackRequest is the company (0: a key's own), the period of issue
// dates (inclusive, as locale.ParseDay reads them) and the PDFs' language.
type AuditPackRequest struct {
	CompanyID int64
	From, To  string
	Lang      string
}

// AuditPack is an audit pack ready to be written: its file name and how
// many invoices it holds. Write streams it.
type AuditPack struct {
	FileName string
	Invoices int
	s        *Service
	p        Principal
	c        *Company
	rows     []Invoice
	from, to string
	lang     string
}

// AuditPack checks the principal (a member, or a key of the company with
// read scope) and the period and lists its invoices (by issue date, in
// archiving order); nothing is written yet. Refusals: ErrAuditPeriod, an
// ErrAuditTooLarge copy above AuditPackMax, the tenant check's.
func (s *Service) AuditPack(ctx context.Context, p Principal, req AuditPackRequest) (*AuditPack, error) {
	from, ok1 := locale.ParseDay(req.From)
	to, ok2 := locale.ParseDay(req.To)
	if !ok1 || !ok2 || from > to {
		return nil, ErrAuditPeriod
	}
	c, err := s.company(ctx, p, req.CompanyID)
	if err != nil {
		return nil, err
	}
	rows, total, err := s.Store.Invoices(ctx, InvoiceFilter{CompanyID: c.ID, DateFrom: from, DateTo: to,
		SortBy: "synced_at", Limit: AuditPackMax + 1})
	if err != nil {
		return nil, err
	}
	if total > AuditPackMax {
		e := *ErrAuditTooLarge
		e.Msg = fmt.Sprintf("%d invoices were issued in the period; an audit pack holds at most %d. Choose a shorter period.", total, AuditPackMax)
		return nil, &e
	}
	lang := "ro"
	if req.Lang == "en" {
		lang = "en"
	}
	name := fmt.Sprintf("audit-pack_%s_%s_%s.zip", c.CIF, from, to)
	return &AuditPack{FileName: name, Invoices: len(rows), s: s, p: p, c: c, rows: rows, from: from, to: to, lang: lang}, nil
}

// packIndexHeader is the header of an audit pack's index.csv.
var packIndexHeader = []string{"invoice_id", "message_id", "message_type", "invoice_number", "issue_date", "supplier_cif",
	"issuer_name", "receiver_name", "total_amount", "currency", "archived_at", "zip_file", "zip_sha256", "pdf_file", "pdf_note",
	"chain_seq", "chain_entry_hash"}

// Write writes the pack to w as a ZIP, file by file (one invoice's ZIP
// and PDF in memory at a time). An error mid-way leaves w with a broken
// ZIP: the door can only drop the connection.
func (ap *AuditPack) Write(ctx context.Context, w io.Writer) error {
	zw := zip.NewWriter(w)
	var sums []string
	at := ap.s.now()
	file := func(name string, method uint16, fn func(io.Writer) error) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: at})
		if err != nil {
			return err
		}
		h := sha256.New()
		if err := fn(io.MultiWriter(fw, h)); err != nil {
			return err
		}
		sums = append(sums, hex.EncodeToString(h.Sum(nil))+"  "+name)
		return nil
	}
	bytesOf := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	if err := file("README.txt", zip.Deflate, bytesOf([]byte(ap.readme(at)))); err != nil {
		return err
	}
	var index bytes.Buffer
	iw := csv.NewWriter(&index)
	_ = iw.Write(packIndexHeader)
	for i := range ap.rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		inv := &ap.rows[i]
		zipBody, err := ap.s.Store.InvoiceZIP(ctx, ap.c.ID, inv.ID)
		if err != nil {
			return err
		}
		base := attach.SafeName(inv.ANAFID)
		zipName := "zip/" + base + ".zip"
		if err := file(zipName, zip.Store, bytesOf(zipBody)); err != nil {
			return err
		}
		pdfName, note := "", ""
		doc, err := ap.s.invoicePDF(ctx, ap.p, inv.ID, ap.lang)
		var ge *Error
		switch {
		case err == nil:
			pdfName = "pdf/" + base + ".pdf"
			if err := file(pdfName, zip.Deflate, bytesOf(doc.Body)); err != nil {
				return err
			}
		case errors.As(err, &ge) && ge.Kind != KindNotFound:
			note = ge.Code // not parsed, too many lines, renderer busy: the ZIP is the document
		default:
			return err
		}
		seq, entryHash := "", ""
		if e, err := ap.s.Store.ChainEntryOf(ctx, inv.ID); err == nil {
			seq, entryHash = strconv.FormatInt(e.Seq, 10), e.EntryHash
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_ = iw.Write([]string{strconv.FormatInt(inv.ID, 10), inv.ANAFID, inv.MessageType, inv.InvoiceNumber, inv.IssueDate,
			inv.SupplierCIF, inv.IssuerName, inv.ReceiverName, inv.TotalAmount, inv.Currency,
			inv.SyncedAt.UTC().Format(chain.TimeLayout), zipName, hex.EncodeToString(inv.ZIPSHA256), pdfName, note, seq, entryHash})
	}
	iw.Flush()
	if err := file("index.csv", zip.Deflate, bytesOf(index.Bytes())); err != nil {
		return err
	}
	// The whole chain up to now: the period's entries can only be checked
	// with every link before them.
	if err := file("chain.csv", zip.Deflate, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write(chain.EntriesHeader)
		var last int64
		for {
			entries, err := ap.s.Store.ChainEntries(ctx, ap.c.ID, last, 1000)
			if err != nil {
				return err
			}
			for _, e := range entries {
				_ = cw.Write(chain.EntryRecord(e))
				last = e.Seq
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			if len(entries) < 1000 {
				return nil
			}
		}
	}); err != nil {
		return err
	}
	heads, err := ap.s.ChainHeadsFile(ctx, ap.p, ap.c.ID)
	if err != nil {
		return err
	}
	if err := file("heads.csv", zip.Deflate, bytesOf(heads.Body)); err != nil {
		return err
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "SHA256SUMS", Method: zip.Deflate, Modified: at})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(fw, strings.Join(sums, "\n")+"\n"); err != nil {
		return err
	}
	return zw.Close()
}

func (ap *AuditPack) readme(at time.Time) string {
	return fmt.Sprintf(`eFactura Gateway - audit pack / pachet de audit
Company / Firma: %s (CIF %s)
Period (issue dates) / Perioada (data emiterii): %s .. %s
Made / Generat: %s (Europe/Bucharest)
Invoices / Facturi: %d

Contents
  zip/<message id>.zip   the original ZIPs as downloaded from ANAF (signed by ANAF)
  pdf/<message id>.pdf   a readable rendering of each invoice (not a legal original)
  index.csv              one row per invoice: its ZIP, PDF, SHA-256 and chain entry
  chain.csv              the company's whole archive chain up to when the pack was made
  heads.csv              the chain's daily heads as the gateway recorded them
  SHA256SUMS             the SHA-256 of every other file

Offline check
  1. unzip the pack into a directory, then in it run:
       sha256sum -c SHA256SUMS
     every line must say OK: no file was altered since the pack was made.
  2. check the chain and that every ZIP is the one chained when it was archived:
       efactura verify-archive --pack %s [--heads HEADS-FILE-KEPT-ELSEWHERE.csv]
     (no database needed). Each entry_hash is the SHA-256 of the text
     "efactura-archive-chain/1\n" followed by company_id, seq, invoice_id,
     message_id, zip_sha256, prev_hash and created_at, each written as its
     length in bytes, ":", the value and "\n"; the first prev_hash is 64 zeros.
  3. what it cannot know: whoever can write the gateway's database can rewrite
     a chain and its recorded heads. Only daily heads exported earlier and kept
     outside the gateway (--heads) show that the chain was not rewritten since.

Verificare offline: dezarhivati pachetul, rulati "sha256sum -c SHA256SUMS" in
director (fiecare linie OK), apoi "efactura verify-archive --pack %s", cu
--heads pentru capetele zilnice exportate si pastrate in alta parte.
`, ap.c.Name, ap.c.CIF, ap.from, ap.to, locale.DateTime("en", at.In(tz.Bucharest())), ap.Invoices, ap.FileName, ap.FileName)
}

// maxPackFile bounds one file read from a pack being checked.
const maxPackFile = 256 << 20

// packCheck is one offline check of an audit pack (VerifyAuditPack).
type packCheck struct {
	rep     *ArchiveReport
	files   map[string]*zip.File
	actual  map[string]string // file → SHA-256 now
	entries map[int64]chain.Entry
	check   *chain.Checker
}

func (pc *packCheck) problem(format string, a ...any) {
	pc.rep.Problems = append(pc.rep.Problems, fmt.Sprintf(format, a...))
}

func (pc *packCheck) read(name string) ([]byte, error) {
	f, ok := pc.files[name]
	if !ok {
		return nil, fmt.Errorf("the pack has no %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPackFile+1))
	if err == nil && len(b) > maxPackFile {
		err = fmt.Errorf("%s is larger than %d MB: not a file of an audit pack", name, maxPackFile>>20)
	}
	return b, err
}

// VerifyAuditPack checks an audit pack offline (no database): every file
// against SHA256SUMS (and none missing or unlisted), the chain in
// chain.csv link by link, every ZIP of the index against its chain entry,
// the pack's heads.csv and the exported heads (may be nil) against the
// chain. The report's Problems are empty when the pack holds.
func VerifyAuditPack(r io.ReaderAt, size int64, heads []ChainHead) (*ArchiveReport, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not an audit pack (a ZIP): %w", err)
	}
	pc := &packCheck{rep: &ArchiveReport{Companies: 1, Heads: len(heads)}, files: map[string]*zip.File{},
		actual: map[string]string{}, entries: map[int64]chain.Entry{}}
	for _, f := range zr.File {
		// A folder's own entry is no file: an auditor's `zip -r` of the
		// unpacked pack adds "zip/" and "pdf/".
		if strings.HasSuffix(f.Name, "/") && f.FileInfo().IsDir() {
			continue
		}
		pc.files[f.Name] = f
	}
	for _, step := range []func() error{pc.sums, pc.chain, pc.index} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := pc.heads(heads); err != nil {
		return nil, err
	}
	return pc.rep, nil
}

// sums checks every file against SHA256SUMS.
func (pc *packCheck) sums() error {
	body, err := pc.read("SHA256SUMS")
	if err != nil {
		return err
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		hash, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			pc.problem("SHA256SUMS: the line %q is not \"<sha256>  <file>\"", sc.Text())
			continue
		}
		sums[name] = hash
	}
	names := make([]string, 0, len(pc.files))
	for name := range pc.files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "SHA256SUMS" {
			continue
		}
		b, err := pc.read(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		pc.actual[name] = hex.EncodeToString(sum[:])
		switch want, ok := sums[name]; {
		case !ok:
			pc.problem("%s is not listed in SHA256SUMS: it was added", name)
		case want != pc.actual[name]:
			pc.problem("%s: SHA-256 %s, SHA256SUMS says %s: the file was altered", name, pc.actual[name], want)
		}
	}
	for name := range sums {
		if _, ok := pc.files[name]; !ok {
			pc.problem("%s is listed in SHA256SUMS but missing from the pack: it was removed", name)
		}
	}
	return nil
}

// chain checks chain.csv link by link.
func (pc *packCheck) chain() error {
	body, err := pc.read("chain.csv")
	if err != nil {
		return err
	}
	broken := false
	return chain.ReadEntries(bytes.NewReader(body), func(e chain.Entry) error {
		if pc.check == nil {
			pc.check = &chain.Checker{CompanyID: e.CompanyID}
		}
		pc.rep.Entries++
		pc.entries[e.Seq] = e
		if b := pc.check.Add(e); b != nil && !broken {
			broken = true
			pc.problem("chain.csv: the chain is broken at entry %d: %s", b.Seq, b.Reason)
		}
		return nil
	})
}

// index checks that every ZIP of the index is the one chained.
func (pc *packCheck) index() error {
	body, err := pc.read("index.csv")
	if err != nil {
		return err
	}
	ir := csv.NewReader(bytes.NewReader(body))
	ir.FieldsPerRecord = len(packIndexHeader)
	recs, err := ir.ReadAll()
	if err != nil {
		return fmt.Errorf("index.csv is not the pack's index: %w", err)
	}
	if len(recs) == 0 {
		return errors.New("index.csv is empty")
	}
	for _, rec := range recs[1:] {
		pc.indexRow(rec[0], rec[1], rec[11], rec[12], rec[15])
	}
	return nil
}

func (pc *packCheck) indexRow(id, msg, zipName, zipSHA, seqText string) {
	if got, ok := pc.actual[zipName]; !ok {
		pc.problem("invoice %s (message %s): %s is missing from the pack", id, msg, zipName)
	} else if got != zipSHA {
		pc.problem("invoice %s (message %s): %s has SHA-256 %s, the index says %s", id, msg, zipName, got, zipSHA)
	}
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil {
		pc.problem("invoice %s (message %s) has no chain entry", id, msg)
		return
	}
	e, ok := pc.entries[seq]
	switch {
	case !ok:
		pc.problem("invoice %s (message %s): chain entry %d is not in chain.csv", id, msg, seq)
	case strconv.FormatInt(e.InvoiceID, 10) != id || e.ANAFID != msg:
		pc.problem("invoice %s (message %s): chain entry %d is invoice %d (message %s)", id, msg, seq, e.InvoiceID, e.ANAFID)
	case e.ZIPSHA256 != pc.actual[zipName]:
		pc.problem("invoice %s (message %s): %s has SHA-256 %s, chain entry %d recorded %s: the ZIP is not the one archived", id, msg, zipName, pc.actual[zipName], seq, e.ZIPSHA256)
	}
}

// heads checks the pack's heads.csv and the exported heads against the chain.
func (pc *packCheck) heads(exported []ChainHead) error {
	body, err := pc.read("heads.csv")
	if err != nil {
		return err
	}
	packHeads, err := chain.ReadHeads(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("heads.csv: %w", err)
	}
	for _, set := range []struct {
		what  string
		heads []ChainHead
	}{{"heads.csv in the pack", packHeads}, {"the exported heads", exported}} {
		for _, h := range set.heads {
			if pc.check != nil && h.CompanyID != pc.check.CompanyID {
				continue
			}
			e, ok := pc.entries[h.Seq]
			switch {
			case !ok:
				pc.problem("%s: the head of %s (entry %d) is not in chain.csv: the chain was cut short or rewritten", set.what, h.Day, h.Seq)
			case e.EntryHash != h.EntryHash:
				pc.problem("%s: the head of %s (entry %d) is %s, chain.csv has %s: the chain was rewritten", set.what, h.Day, h.Seq, h.EntryHash, e.EntryHash)
			}
		}
	}
	return nil
}
