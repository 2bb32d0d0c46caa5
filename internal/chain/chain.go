// Package chain is the tamper-evident chain of a company's archived ZIPs
// (issue 20, part 4): the canonical encoding and hash of an entry, the
// check of a chain read in order, and the CSV files an audit pack and
// the exported daily heads are written in. A leaf (the standard library
// only): the store appends entries with it, the gateway and the command
// line check chains with it, with or without a database.
package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Genesis is the previous hash of a chain's first entry.
var Genesis = strings.Repeat("0", 64)

// TimeLayout is how an entry's time enters its hash (UTC, microseconds).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Entry is one link: the Seq-th ZIP archived for CompanyID.
type Entry struct {
	CompanyID int64
	Seq       int64
	InvoiceID int64
	ANAFID    string // ANAF's message id
	ZIPSHA256 string // lowercase hex
	PrevHash  string // lowercase hex; Genesis for Seq 1
	EntryHash string // lowercase hex: Hash(e)
	CreatedAt time.Time
}

// Hash is the SHA-256 (lowercase hex) of the canonical encoding of e:
// the tag "efactura-archive-chain/1" then company id, seq, invoice id,
// message id, ZIP SHA-256, previous hash and time (UTC, TimeLayout), each
// written as its length in bytes, a colon, the value and a newline.
func Hash(e Entry) string {
	var b strings.Builder
	b.WriteString("efactura-archive-chain/1\n")
	for _, f := range []string{
		strconv.FormatInt(e.CompanyID, 10), strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.InvoiceID, 10),
		e.ANAFID, strings.ToLower(e.ZIPSHA256), strings.ToLower(e.PrevHash), e.CreatedAt.UTC().Format(TimeLayout),
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Next is the entry after prev (nil: the first) for an archived ZIP,
// its hash computed.
func Next(prev *Entry, companyID, invoiceID int64, anafID string, zipSHA256 []byte, at time.Time) Entry {
	e := Entry{CompanyID: companyID, Seq: 1, InvoiceID: invoiceID, ANAFID: anafID,
		ZIPSHA256: hex.EncodeToString(zipSHA256), PrevHash: Genesis, CreatedAt: at.UTC().Truncate(time.Microsecond)}
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.EntryHash
	}
	e.EntryHash = Hash(e)
	return e
}

// Break is the first broken link of a chain.
type Break struct {
	CompanyID int64
	Seq       int64 // the entry expected or found at the break
	Reason    string
}

func (b *Break) Error() string {
	return fmt.Sprintf("company %d: chain broken at entry %d: %s", b.CompanyID, b.Seq, b.Reason)
}

// Checker checks one company's chain fed in seq order.
type Checker struct {
	CompanyID int64
	last      *Entry
	n         int64
}

// Add checks e against the entries before it: the next seq, the previous
// entry's hash, its own recomputed hash. It returns the break, nil when
// the link holds.
func (c *Checker) Add(e Entry) *Break {
	want := int64(1)
	prev := Genesis
	if c.last != nil {
		want, prev = c.last.Seq+1, c.last.EntryHash
	}
	brk := func(seq int64, format string, a ...any) *Break {
		return &Break{CompanyID: c.CompanyID, Seq: seq, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case e.CompanyID != c.CompanyID:
		return brk(e.Seq, "entry belongs to company %d", e.CompanyID)
	case e.Seq > want:
		return brk(want, "entry %d is missing (the next entry is %d)", want, e.Seq)
	case e.Seq < want:
		return brk(e.Seq, "entry %d appears twice or out of order", e.Seq)
	case e.PrevHash != prev:
		return brk(e.Seq, "its previous hash %s is not the hash of entry %d (%s)", short(e.PrevHash), want-1, short(prev))
	}
	if h := Hash(e); h != e.EntryHash {
		return brk(e.Seq, "its recorded hash %s is not the hash of its contents (%s): the entry was altered", short(e.EntryHash), short(h))
	}
	c.last = &e
	c.n++
	return nil
}

// Head is the last entry added (nil: none).
func (c *Checker) Head() *Entry { return c.last }

// Len is how many entries were added without a break.
func (c *Checker) Len() int64 { return c.n }

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
