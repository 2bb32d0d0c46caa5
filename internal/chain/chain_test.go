package chain

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// TestHashIsCanonical: the hash of a known entry is fixed (the encoding
// documented in docs/compliance.md and the pack's README); every field
// takes part in it; length prefixes keep field boundaries apart.
func TestHashIsCanonical(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC)
	e := Next(nil, 7, 42, "3000000001", bytes.Repeat([]byte{0xab}, 32), at)
	if e.Seq != 1 || e.PrevHash != Genesis {
		t.Fatalf("first entry: %+v", e)
	}
	// The same value by hand: sha256 over the documented text.
	const want = "efactura-archive-chain/1\n1:7\n1:1\n2:42\n10:3000000001\n64:" +
		"abababababababababababababababababababababababababababababababab\n64:" +
		"0000000000000000000000000000000000000000000000000000000000000000\n27:2026-01-02T03:04:05.000678Z\n"
	if got := sha(want); got != e.EntryHash {
		t.Fatalf("hash %s, the documented encoding gives %s", e.EntryHash, got)
	}
	for name, alter := range map[string]func(*Entry){
		"company": func(x *Entry) { x.CompanyID++ }, "seq": func(x *Entry) { x.Seq++ }, "invoice": func(x *Entry) { x.InvoiceID++ },
		"message": func(x *Entry) { x.ANAFID += "1" }, "zip": func(x *Entry) { x.ZIPSHA256 = strings.Repeat("cd", 32) },
		"prev": func(x *Entry) { x.PrevHash = strings.Repeat("1", 64) }, "time": func(x *Entry) { x.CreatedAt = x.CreatedAt.Add(time.Microsecond) },
	} {
		x := e
		alter(&x)
		if Hash(x) == e.EntryHash {
			t.Errorf("%s does not take part in the hash", name)
		}
	}
	a := Entry{ANAFID: "1\n2:3"}
	b := Entry{ANAFID: "1", ZIPSHA256: "3"}
	if Hash(a) == Hash(b) {
		t.Error("field boundaries collide")
	}
}

// TestCheckerNamesTheFirstBreak: a missing entry, a repeated one, a
// broken link and an altered entry are each the first break.
func TestCheckerNamesTheFirstBreak(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var es []Entry
	var prev *Entry
	for i := range 5 {
		e := Next(prev, 1, int64(10+i), "m", []byte{byte(i)}, at)
		es = append(es, e)
		prev = &es[len(es)-1]
	}
	run := func(list []Entry) *Break {
		c := Checker{CompanyID: 1}
		for _, e := range list {
			if b := c.Add(e); b != nil {
				return b
			}
		}
		return nil
	}
	if b := run(es); b != nil {
		t.Fatalf("sound chain: %v", b)
	}
	altered := append([]Entry(nil), es...)
	altered[2].ZIPSHA256 = "00"
	relinked := append([]Entry(nil), es...)
	relinked[3].PrevHash = Genesis
	for name, tc := range map[string]struct {
		list   []Entry
		seq    int64
		reason string
	}{
		"missing":  {append(append([]Entry(nil), es[:2]...), es[3:]...), 3, "entry 3 is missing"},
		"repeated": {append(append([]Entry(nil), es[:3]...), es[2:]...), 3, "appears twice"},
		"altered":  {altered, 3, "was altered"},
		"relinked": {relinked, 4, "previous hash"},
	} {
		b := run(tc.list)
		if b == nil || b.Seq != tc.seq || !strings.Contains(b.Reason, tc.reason) {
			t.Errorf("%s: %v", name, b)
		}
	}
}

// TestCSVRoundTrip: entries and heads read back as written.
func TestCSVRoundTrip(t *testing.T) {
	e := Next(nil, 3, 9, "3000000009", bytes.Repeat([]byte{1}, 32), time.Now())
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(EntriesHeader)
	_ = w.Write(EntryRecord(e))
	w.Flush()
	var got []Entry
	if err := ReadEntries(&buf, func(x Entry) error { got = append(got, x); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != e {
		t.Fatalf("%+v != %+v", got, e)
	}
	h := Head{Day: "2026-01-02", CompanyID: 3, CIF: "98765438", Seq: 1, EntryHash: e.EntryHash}
	buf.Reset()
	w = csv.NewWriter(&buf)
	_ = w.Write(HeadsHeader)
	_ = w.Write(HeadRecord(h))
	w.Flush()
	heads, err := ReadHeads(&buf)
	if err != nil || len(heads) != 1 || heads[0] != h {
		t.Fatalf("%v %+v", err, heads)
	}
	if _, err := ReadHeads(strings.NewReader("day,company_id,cif,seq,entry_hash\n2026-01-02,1,x,0," + e.EntryHash + "\n")); err == nil {
		t.Error("seq 0 accepted")
	}
}

// FuzzReadHeads: a heads file (kept elsewhere, read by verify-archive
// --heads) never panics; what is read is well formed.
func FuzzReadHeads(f *testing.F) {
	f.Add("day,company_id,cif,seq,entry_hash\n2026-01-02,1,98765438,3," + strings.Repeat("a", 64) + "\n")
	f.Add("day,company_id\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		heads, err := ReadHeads(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, h := range heads {
			if h.Seq < 1 || len(h.EntryHash) != 64 {
				t.Fatalf("malformed head accepted: %+v", h)
			}
		}
	})
}

// FuzzReadEntries: a chain file (an audit pack's chain.csv) never panics.
func FuzzReadEntries(f *testing.F) {
	e := Next(nil, 3, 9, "3000000009", bytes.Repeat([]byte{1}, 32), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	f.Add(strings.Join(EntriesHeader, ",") + "\n" + strings.Join(EntryRecord(e), ",") + "\n")
	f.Add("company_id\n1\n")
	f.Fuzz(func(t *testing.T, s string) {
		c := Checker{CompanyID: 3}
		_ = ReadEntries(strings.NewReader(s), func(x Entry) error { _ = c.Add(x); return nil })
	})
}

func sha(s string) string {
	return hexSHA([]byte(s))
}
