package gateway

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// The tamper-evident archive (issue 20, part 4; docs/compliance.md):
// the page of a company's chain, its daily heads as a file, and the
// operator's check of every chain (verify-archive).

// ChainHead is a chain's head on a day (an exported daily digest).
type ChainHead = chain.Head

// ChainDigest is a stored daily head with the time it was taken.
type ChainDigest = store.ChainDigest

// ArchiveChain is the page of a company's chain: its length (the head's
// seq), head hash, when it started, which entries were chained after the
// fact (for ZIPs archived before the chain existed) and its daily heads.
type ArchiveChain struct {
	Company     *Company
	Length      int64
	HeadHash    string
	FirstAt     *time.Time
	BackfillSeq int64
	BackfillAt  *time.Time
	Digests     []ChainDigest
}

// ArchiveChainOf is the chain of a company the principal may see (a
// member, or a key of the company; an unverified company has none yet).
func (s *Service) ArchiveChainOf(ctx context.Context, p Principal, companyID int64) (*ArchiveChain, error) {
	c, err := s.company(ctx, p, companyID)
	if errors.Is(err, ErrUnverified) {
		return &ArchiveChain{Company: c}, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := s.Store.ChainStateOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.ChainDigests(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return &ArchiveChain{Company: c, Length: st.Seq, HeadHash: st.EntryHash, FirstAt: st.FirstAt,
		BackfillSeq: st.BackfillSeq, BackfillAt: st.BackfillAt, Digests: ds}, nil
}

// ChainHeadsFile is the company's daily heads as a CSV (chain.HeadsHeader,
// oldest first), the file a company keeps elsewhere for
// `efactura verify-archive --heads`: archive-heads_<CIF>_<date>.csv.
func (s *Service) ChainHeadsFile(ctx context.Context, p Principal, companyID int64) (*Document, error) {
	ac, err := s.ArchiveChainOf(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(chain.HeadsHeader)
	for i := len(ac.Digests) - 1; i >= 0; i-- {
		_ = w.Write(chain.HeadRecord(ac.Digests[i].Head))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("archive-heads_%s_%s.csv", ac.Company.CIF, s.now().In(tz.Bucharest()).Format(time.DateOnly))
	return &Document{Body: buf.Bytes(), ContentType: "text/csv; charset=utf-8", FileName: name, SHA256: attach.SHA256(buf.Bytes())}, nil
}

// TakeChainDigests records today's (UTC) head of every chain (the hourly
// archive_digest job: a day keeps its last head).
func (s *Service) TakeChainDigests(ctx context.Context) (int, error) {
	at := s.now().UTC()
	return s.Store.TakeChainDigests(ctx, at.Format(time.DateOnly), at)
}

// ErrCLIOnly: a use case for the operator at the command line.
var ErrCLIOnly = &Error{Kind: KindForbidden, Code: "cli_only", Msg: "only the operator at the command line may do this"}

// ArchiveReport is what VerifyArchive found: counts and one line per
// problem (the first broken link of each chain, every entry without its
// invoice or ZIP or with another ZIP, every archived invoice without its
// entry, every exported head the chain does not hold).
type ArchiveReport struct {
	Companies int
	Entries   int64
	Heads     int
	Problems  []string
}

// VerifyArchive checks every company's chain (companyCIF "") or one's: it
// recomputes each entry's hash and link and names the first broken one,
// checks each entry against its invoice row and the SHA-256 of the stored
// ZIP, that every archived invoice has its entry and that the head row is
// the last entry; heads (exported daily heads, may be nil) must each be an
// entry of their chain. The operator only (Actor.CLI). One ZIP in memory
// at a time.
func (s *Service) VerifyArchive(ctx context.Context, a Actor, companyCIF string, heads []ChainHead) (*ArchiveReport, error) {
	if !a.CLI {
		return nil, ErrCLIOnly
	}
	var companyID int64
	ids, err := s.Store.ChainCompanies(ctx)
	if err != nil {
		return nil, err
	}
	if companyCIF != "" {
		digits, err := cif.Normalize(companyCIF)
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Code: "invalid_cif", Field: "company", Msg: "the company's CIF is not valid: " + err.Error()}
		}
		c, err := s.Store.CompanyByCIF(ctx, digits)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: KindNotFound, Code: "not_found", Msg: "no company has CIF " + digits}
		}
		if err != nil {
			return nil, err
		}
		companyID, ids = c.ID, []int64{c.ID}
	}
	rep := &ArchiveReport{Heads: len(heads)}
	want := map[int64]map[int64][]ChainHead{} // company → seq → heads
	for _, h := range heads {
		if companyID != 0 && h.CompanyID != companyID {
			continue
		}
		if want[h.CompanyID] == nil {
			want[h.CompanyID] = map[int64][]ChainHead{}
		}
		want[h.CompanyID][h.Seq] = append(want[h.CompanyID][h.Seq], h)
	}
	for _, id := range ids {
		if err := s.verifyChain(ctx, id, want[id], rep); err != nil {
			return rep, err
		}
		delete(want, id)
		rep.Companies++
	}
	for cid, bySeq := range want {
		for _, hs := range bySeq {
			for _, h := range hs {
				rep.Problems = append(rep.Problems, fmt.Sprintf("company %d (CIF %s): the exported head of %s (entry %d) has no chain here: the company's chain is gone", cid, h.CIF, h.Day, h.Seq))
			}
		}
	}
	return rep, nil
}

func (s *Service) verifyChain(ctx context.Context, companyID int64, heads map[int64][]ChainHead, rep *ArchiveReport) error {
	name := fmt.Sprintf("company %d", companyID)
	if c, err := s.Store.CompanyByID(ctx, companyID); err == nil {
		name = fmt.Sprintf("company %d (CIF %s)", companyID, c.CIF)
	}
	problem := func(format string, a ...any) {
		rep.Problems = append(rep.Problems, name+": "+fmt.Sprintf(format, a...))
	}
	check := chain.Checker{CompanyID: companyID}
	broken := false
	var (
		last     int64
		lastHash string
	)
	for {
		entries, err := s.Store.ChainEntries(ctx, companyID, last, 1000)
		if err != nil {
			return err
		}
		for _, e := range entries {
			rep.Entries++
			if b := check.Add(e); b != nil && !broken {
				broken = true
				problem("the chain is broken at entry %d: %s", b.Seq, b.Reason)
			}
			for _, h := range heads[e.Seq] {
				if h.EntryHash != e.EntryHash {
					problem("entry %d is not the head exported on %s (%s… there, %s… here): the chain was rewritten", e.Seq, h.Day, h.EntryHash[:16], e.EntryHash[:16])
				}
			}
			delete(heads, e.Seq)
			if err := s.crossCheck(ctx, e, problem); err != nil {
				return err
			}
			last, lastHash = e.Seq, e.EntryHash
		}
		if len(entries) < 1000 {
			break
		}
	}
	for seq, hs := range heads {
		for _, h := range hs {
			problem("the head exported on %s (entry %d) is not in the chain, which ends at entry %d: the chain was cut short or rewritten", h.Day, seq, last)
		}
	}
	st, err := s.Store.ChainStateOf(ctx, companyID)
	if err != nil {
		return err
	}
	if st.Seq != last || (last > 0 && st.EntryHash != lastHash) {
		problem("the chain's head row says %d entries (%.16s…) but the chain ends at entry %d: the last entries were removed or the head altered", st.Seq, st.EntryHash, last)
	}
	var after int64
	for {
		invs, err := s.Store.UnchainedInvoices(ctx, companyID, after, 1000)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			problem("invoice %d (message %s) has no chain entry: its entry was deleted, or it was inserted behind the gateway's back", inv.ID, inv.ANAFID)
			after = inv.ID
		}
		if len(invs) < 1000 {
			return nil
		}
	}
}

// crossCheck compares a chain entry with its invoice row and stored ZIP.
func (s *Service) crossCheck(ctx context.Context, e chain.Entry, problem func(string, ...any)) error {
	ci, err := s.Store.ChainedInvoiceOf(ctx, e.InvoiceID)
	if errors.Is(err, store.ErrNotFound) {
		problem("entry %d names invoice %d (message %s), whose row was deleted", e.Seq, e.InvoiceID, e.ANAFID)
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case ci.CompanyID != e.CompanyID || ci.ANAFID != e.ANAFID:
		problem("entry %d names invoice %d as message %s of company %d, but the row is message %s of company %d", e.Seq, e.InvoiceID, e.ANAFID, e.CompanyID, ci.ANAFID, ci.CompanyID)
	case !ci.HasZIPBlob:
		problem("entry %d: the stored ZIP of invoice %d (message %s) was deleted", e.Seq, e.InvoiceID, e.ANAFID)
	case fmt.Sprintf("%x", ci.ZIPSHA256) != e.ZIPSHA256:
		problem("entry %d: the stored ZIP of invoice %d (message %s) has SHA-256 %x, the chain recorded %s: the ZIP was altered", e.Seq, e.InvoiceID, e.ANAFID, ci.ZIPSHA256, e.ZIPSHA256)
	case fmt.Sprintf("%x", ci.Recorded) != e.ZIPSHA256:
		problem("entry %d: invoice %d (message %s) records SHA-256 %x, the chain recorded %s: the row was altered", e.Seq, e.InvoiceID, e.ANAFID, ci.Recorded, e.ZIPSHA256)
	}
	return nil
}
