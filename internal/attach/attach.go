// Package attach writes a file download (an invoice's ZIP, XML or PDF, an
// export) the same way for the web pages and the REST API: one set of
// headers, one file-name sanitizer. It is a leaf: it imports only the
// standard library, so both doors may use it.
package attach

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
)

// File is a download: its bytes, content type, file name (already safe,
// see SafeName) and the hex SHA-256 of Body ("" computes it).
type File struct {
	Body        []byte
	ContentType string
	Name        string
	SHA256      string
}

// Write sends f as an attachment with status 200: Content-Type,
// Content-Disposition (attachment; filename=NAME, a token since SafeName
// leaves only token characters), Content-Length, X-Content-SHA256,
// Cache-Control: private, no-store (an invoice is never kept by a shared
// cache) and X-Content-Type-Options: nosniff.
func Write(w http.ResponseWriter, f File) {
	sum := f.SHA256
	if sum == "" {
		sum = SHA256(f.Body)
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", "attachment; filename="+SafeName(f.Name))
	h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	h.Set("X-Content-SHA256", sum)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Body)
}

// SHA256 is the lower-case hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SafeName keeps a file name to characters harmless in a header and valid
// in an unquoted RFC 6266 token: ASCII letters, digits, '.', '-' and '_';
// anything else becomes '_'.
func SafeName(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_', r == '.':
			out = append(out, byte(r))
		default:
			out = append(out, '_')
		}
	}
	return string(out)
}

// StreamHeaders sets the headers of a download whose body is written as
// it is made (a bulk ZIP): Write's, without Content-Length and
// X-Content-SHA256 (unknown before the end). The caller then writes the
// status and the body.
func StreamHeaders(w http.ResponseWriter, contentType, name string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "attachment; filename="+SafeName(name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}
