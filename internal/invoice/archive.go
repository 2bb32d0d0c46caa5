package invoice

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"time"
)

// Limits applied by ReadArchive.
const (
	// MaxArchiveEntries is the most entries a ZIP may list (ANAF sends 2).
	MaxArchiveEntries = 10
	// MaxArchiveEntrySize is the largest decompressed entry, in bytes (50 MB).
	MaxArchiveEntrySize = 50 << 20
	// MaxArchiveTotalSize is the largest decompressed total, in bytes (100 MB).
	MaxArchiveTotalSize = 100 << 20
)

// Archive is the content of a ZIP downloaded from ANAF's /descarcare
// (API.md §5): the document (invoice, error list or buyer message) and the
// Ministry of Finance's detached XMLDSig signature over its raw bytes.
type Archive struct {
	DocumentName  string // e.g. "5012345678.xml"
	Document      []byte // raw bytes, unmodified
	SignatureName string // e.g. "semnatura_5012345678.xml"
	Signature     []byte // raw bytes, unmodified
}

var (
	reDocumentName  = regexp.MustCompile(`^([0-9]+)\.(?i:xml)$`)
	reSignatureName = regexp.MustCompile(`^(?i:semnatura)_([0-9]+)\.(?i:xml)$`)
)

// archiveModTime is the modification time written by BuildArchive, fixed
// so that the same input always gives the same bytes.
var archiveModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ReadArchive unpacks an ANAF ZIP. It accepts exactly two entries,
// "<digits>.xml" and "semnatura_<digits>.xml" with the same digits. The
// signature is recognised by content (root Signature in the xmldsig
// namespace), falling back to its name; entry order does not matter.
//
// Refused with a *ParseError: data that is not a ZIP, more than
// MaxArchiveEntries entries, names with a path (/, \, ..), directories,
// symlinks, any other entry, an entry over MaxArchiveEntrySize or a total
// over MaxArchiveTotalSize decompressed (read with a bound; header sizes
// are not trusted), and corrupt (CRC) data.
func ReadArchive(zipBytes []byte) (*Archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return nil, &ParseError{Msg: "not a ZIP archive", Err: err}
	}
	if len(zr.File) > MaxArchiveEntries {
		return nil, parseErrorf("ZIP has %d entries, more than %d", len(zr.File), MaxArchiveEntries)
	}
	type entry struct {
		name, digits string
		data         []byte
		isSig        bool // root is ds:Signature
		sigName      bool // named semnatura_*
	}
	var entries []entry
	var total int64
	for _, f := range zr.File {
		name := f.Name
		switch {
		case name == "" || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") || strings.ContainsRune(name, 0):
			return nil, parseErrorf("ZIP entry %q has a path or an unsafe name", name)
		case f.Mode()&fs.ModeSymlink != 0:
			return nil, parseErrorf("ZIP entry %q is a symlink", name)
		case f.Mode().IsDir() || !f.Mode().IsRegular():
			return nil, parseErrorf("ZIP entry %q is not a regular file", name)
		}
		e := entry{name: name}
		if m := reSignatureName.FindStringSubmatch(name); m != nil {
			e.digits, e.sigName = m[1], true
		} else if m := reDocumentName.FindStringSubmatch(name); m != nil {
			e.digits = m[1]
		} else {
			return nil, parseErrorf("unexpected ZIP entry %q (want <digits>.xml and semnatura_<digits>.xml)", name)
		}
		data, err := readEntry(f)
		if err != nil {
			return nil, err
		}
		total += int64(len(data))
		if total > MaxArchiveTotalSize {
			return nil, parseErrorf("ZIP content exceeds %d MB decompressed", MaxArchiveTotalSize>>20)
		}
		e.data = data
		if root, err := parseXML(data, decodeOptions{rootOnly: true}); err == nil {
			e.isSig = root.space == nsXMLDSig && root.local == "Signature"
		}
		entries = append(entries, e)
	}
	if len(entries) != 2 {
		return nil, parseErrorf("ZIP has %d entries, want 2 (the document and semnatura_*.xml)", len(entries))
	}
	a, b := entries[0], entries[1]
	// Content decides; the name decides only when content does not.
	switch {
	case a.isSig && !b.isSig:
	case b.isSig && !a.isSig:
		a, b = b, a
	case a.sigName && !b.sigName:
	case b.sigName && !a.sigName:
		a, b = b, a
	default:
		return nil, parseErrorf("cannot tell the signature from the document in ZIP entries %q and %q", a.name, b.name)
	}
	if a.digits != b.digits {
		return nil, parseErrorf("ZIP entries %q and %q name different uploads", a.name, b.name)
	}
	return &Archive{DocumentName: b.name, Document: b.data, SignatureName: a.name, Signature: a.data}, nil
}

// readEntry decompresses one entry, reading at most MaxArchiveEntrySize+1
// bytes whatever its header claims.
func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, &ParseError{Msg: fmt.Sprintf("cannot open ZIP entry %q", f.Name), Err: err}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxArchiveEntrySize+1))
	if err != nil {
		return nil, &ParseError{Msg: fmt.Sprintf("cannot read ZIP entry %q", f.Name), Err: err}
	}
	if len(data) > MaxArchiveEntrySize {
		return nil, parseErrorf("ZIP entry %q exceeds %d MB decompressed", f.Name, MaxArchiveEntrySize>>20)
	}
	return data, nil
}

// BuildArchive makes a ZIP shaped like ANAF's (API.md §5): the entries
// "<uploadID>.xml" (document) then "semnatura_<uploadID>.xml" (signature),
// deflated, with a fixed modification time so the same input always gives
// the same bytes. uploadID must be digits; document and signature must not
// be empty. Used by the ANAF simulator.
func BuildArchive(uploadID string, document, signature []byte) ([]byte, error) {
	if uploadID == "" || strings.ContainsFunc(uploadID, func(r rune) bool { return r < '0' || r > '9' }) {
		return nil, fmt.Errorf("invoice: build archive: upload id %q is not a digit string", uploadID)
	}
	if len(document) == 0 || len(signature) == 0 {
		return nil, errors.New("invoice: build archive: document and signature must not be empty")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		data []byte
	}{
		{uploadID + ".xml", document},
		{"semnatura_" + uploadID + ".xml", signature},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: archiveModTime})
		if err != nil {
			return nil, fmt.Errorf("invoice: build archive: %w", err)
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, fmt.Errorf("invoice: build archive: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("invoice: build archive: %w", err)
	}
	return buf.Bytes(), nil
}
