package invoice_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
)

type zipEntry struct {
	name string
	data []byte
	mode fs.FileMode // 0 = regular file
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func sampleSignature(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "zip_semnatura_SHAPE_ONLY_5012345678.xml"))
	require.NoError(t, err)
	return data
}

func TestArchiveRoundTrip(t *testing.T) {
	t.Parallel()
	doc := readInvoiceTestdata(t, "gen-01-invoice-ALF-0001.xml")
	sig := sampleSignature(t)

	z1, err := invoice.BuildArchive("5012345678", doc, sig)
	require.NoError(t, err)
	z2, err := invoice.BuildArchive("5012345678", doc, sig)
	require.NoError(t, err)
	require.Equal(t, z1, z2, "BuildArchive must be deterministic")

	a, err := invoice.ReadArchive(z1)
	require.NoError(t, err)
	require.Equal(t, &invoice.Archive{DocumentName: "5012345678.xml", Document: doc, SignatureName: "semnatura_5012345678.xml", Signature: sig}, a)

	_, err = invoice.BuildArchive("50123x", doc, sig)
	require.Error(t, err)
	_, err = invoice.BuildArchive("1", doc, nil)
	require.Error(t, err)
}

func TestReadArchive(t *testing.T) {
	t.Parallel()
	doc := readInvoiceTestdata(t, "gen-01-invoice-ALF-0001.xml")
	sig := sampleSignature(t)

	t.Run("SignatureFirst", func(t *testing.T) {
		t.Parallel()
		a, err := invoice.ReadArchive(makeZip(t, zipEntry{name: "semnatura_42.xml", data: sig}, zipEntry{name: "42.xml", data: doc}))
		require.NoError(t, err)
		require.Equal(t, "42.xml", a.DocumentName)
		require.Equal(t, doc, a.Document)
		require.Equal(t, sig, a.Signature)
	})
	t.Run("ContentBeatsName", func(t *testing.T) {
		t.Parallel()
		// Names swapped: the entry holding the Signature is the signature.
		a, err := invoice.ReadArchive(makeZip(t, zipEntry{name: "semnatura_42.xml", data: doc}, zipEntry{name: "42.xml", data: sig}))
		require.NoError(t, err)
		require.Equal(t, doc, a.Document)
		require.Equal(t, "semnatura_42.xml", a.DocumentName)
		require.Equal(t, sig, a.Signature)
	})
	t.Run("NameWhenContentIsNotASignature", func(t *testing.T) {
		t.Parallel()
		a, err := invoice.ReadArchive(makeZip(t, zipEntry{name: "semnatura_42.xml", data: []byte("<x/>")}, zipEntry{name: "42.xml", data: doc}))
		require.NoError(t, err)
		require.Equal(t, doc, a.Document)
	})
	t.Run("RealANAFErrorZip", func(t *testing.T) {
		t.Parallel()
		z, err := os.ReadFile(filepath.Join("testdata", "oca-3828-download-error.zip"))
		require.NoError(t, err)
		a, err := invoice.ReadArchive(z)
		require.NoError(t, err)
		require.Equal(t, "3828.xml", a.DocumentName)
		require.Equal(t, "semnatura_3828.xml", a.SignatureName)
		e, err := invoice.ParseANAFErrors(a.Document)
		require.NoError(t, err)
		require.Equal(t, "3828", e.UploadID)
		require.Equal(t, "47024170", e.CIFEmitent)
		require.Equal(t, []string{"E: validari globale\n eroare regula: R6.1: CIF-ul vanzatorului nu figureaza in baza de date:6443019833"}, e.Messages)
	})

	for _, tc := range []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		{"Traversal", []zipEntry{{name: "../42.xml", data: doc}, {name: "semnatura_42.xml", data: sig}}, "unsafe name"},
		{"Absolute", []zipEntry{{name: "/42.xml", data: doc}, {name: "semnatura_42.xml", data: sig}}, "unsafe name"},
		{"Backslash", []zipEntry{{name: `..\42.xml`, data: doc}, {name: "semnatura_42.xml", data: sig}}, "unsafe name"},
		{"Subdirectory", []zipEntry{{name: "x/42.xml", data: doc}, {name: "semnatura_42.xml", data: sig}}, "unsafe name"},
		{"Directory", []zipEntry{{name: "42.xml", data: doc}, {name: "semnatura_42.xml", data: sig}, {name: "d/"}}, "unsafe name"},
		{"Symlink", []zipEntry{{name: "42.xml", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}, {name: "semnatura_42.xml", data: sig}}, "symlink"},
		{"OtherName", []zipEntry{{name: "factura.xml", data: doc}, {name: "semnatura_42.xml", data: sig}}, "unexpected ZIP entry"},
		{"OnlyOne", []zipEntry{{name: "42.xml", data: doc}}, "want 2"},
		{"ThreeValidNames", []zipEntry{{name: "42.xml", data: doc}, {name: "43.xml", data: doc}, {name: "semnatura_42.xml", data: sig}}, "want 2"},
		{"DifferentUploads", []zipEntry{{name: "42.xml", data: doc}, {name: "semnatura_43.xml", data: sig}}, "different uploads"},
		{"TwoDocuments", []zipEntry{{name: "42.xml", data: doc}, {name: "43.xml", data: doc}}, "cannot tell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := invoice.ReadArchive(makeZip(t, tc.entries...))
			var pe *invoice.ParseError
			require.ErrorAs(t, err, &pe)
			require.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("TooManyEntries", func(t *testing.T) {
		t.Parallel()
		var entries []zipEntry
		for range invoice.MaxArchiveEntries + 1 {
			entries = append(entries, zipEntry{name: "42.xml", data: []byte("x")})
		}
		_, err := invoice.ReadArchive(makeZip(t, entries...))
		require.ErrorContains(t, err, "more than 10")
	})
	t.Run("NotAZip", func(t *testing.T) {
		t.Parallel()
		_, err := invoice.ReadArchive(doc)
		require.ErrorContains(t, err, "not a ZIP")
	})
	t.Run("Corrupt", func(t *testing.T) {
		t.Parallel()
		z := makeZip(t, zipEntry{name: "42.xml", data: doc}, zipEntry{name: "semnatura_42.xml", data: sig})
		i := bytes.Index(z, []byte("42.xml")) + 40 // inside the first entry's compressed data
		z[i] ^= 0xFF
		_, err := invoice.ReadArchive(z)
		var pe *invoice.ParseError
		require.ErrorAs(t, err, &pe)
	})
}

// fastZipWriter deflates at the fastest level (bomb tests write 100+ MB).
func fastZipWriter(w io.Writer) *zip.Writer {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

// zeros is an io.Reader of n zero bytes.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadArchiveBombs(t *testing.T) {
	t.Parallel()
	sig := sampleSignature(t)

	t.Run("EntryOver50MB", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		zw := fastZipWriter(&buf)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "42.xml", Method: zip.Deflate})
		require.NoError(t, err)
		_, err = io.Copy(w, zeros(invoice.MaxArchiveEntrySize+1))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		_, err = invoice.ReadArchive(buf.Bytes())
		require.ErrorContains(t, err, "exceeds 50 MB")
	})
	t.Run("HeaderLiesAboutSize", func(t *testing.T) {
		t.Parallel()
		// 60 MB of zeros whose header claims 100 bytes: the bounded read
		// must stop anyway.
		var comp bytes.Buffer
		fw, err := flate.NewWriter(&comp, flate.BestSpeed)
		require.NoError(t, err)
		crc := crc32.NewIEEE()
		_, err = io.Copy(io.MultiWriter(fw, crc), zeros(60<<20))
		require.NoError(t, err)
		require.NoError(t, fw.Close())
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "42.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100})
		require.NoError(t, err)
		_, err = w.Write(comp.Bytes())
		require.NoError(t, err)
		w, err = zw.Create("semnatura_42.xml")
		require.NoError(t, err)
		_, err = w.Write(sig)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		_, err = invoice.ReadArchive(buf.Bytes())
		var pe *invoice.ParseError
		require.ErrorAs(t, err, &pe)
	})
	t.Run("TotalOver100MB", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		zw := fastZipWriter(&buf)
		for _, name := range []string{"42.xml", "semnatura_42.xml", "43.xml"} {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
			require.NoError(t, err)
			_, err = io.Copy(w, zeros(40<<20))
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		_, err := invoice.ReadArchive(buf.Bytes())
		require.ErrorContains(t, err, "exceeds 100 MB")
	})
}

func FuzzReadArchive(f *testing.F) {
	doc := []byte("<a/>")
	sig, err := os.ReadFile(filepath.Join("testdata", "zip_semnatura_SHAPE_ONLY_5012345678.xml"))
	if err != nil {
		f.Fatal(err)
	}
	if z, err := invoice.BuildArchive("5012345678", doc, sig); err == nil {
		f.Add(z)
	}
	if z, err := os.ReadFile(filepath.Join("testdata", "oca-3828-download-error.zip")); err == nil {
		f.Add(z)
	}
	f.Add(makeZip(f, zipEntry{name: "../1.xml", data: doc}, zipEntry{name: "semnatura_1.xml", data: sig}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := invoice.ReadArchive(data)
		if err != nil {
			var pe *invoice.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *ParseError: %T %v", err, err)
			}
			return
		}
		if a.DocumentName == a.SignatureName || len(a.Document) > invoice.MaxArchiveEntrySize {
			t.Fatalf("bad archive %q %q", a.DocumentName, a.SignatureName)
		}
	})
}
