package anafsim

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Scripting: situations of ANAF's that a fault of the next call cannot
// make (issue 15). Each takes a download id (a message's id) as listed.

// expiredText is descarcare's answer past the 60-day retention (API.md §3.6).
const expiredText = "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"

// ErrUnknownMessage: no message has that download id.
var ErrUnknownMessage = fmt.Errorf("anafsim: no message with that id")

// Republish lists the message downloadID again under a new message id,
// as ANAF does when it re-publishes: a new archive of the same document
// and upload index, listed for the same CIFs with the same tip and
// detalii, created at at (zero: now). It returns the new id.
func (s *Server) Republish(downloadID string, at time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Archives[downloadID]
	if a == nil {
		return "", ErrUnknownMessage
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Minute)
	n := &archive{UploadIndex: a.UploadIndex, DocHash: a.DocHash, Created: at}
	n.DownloadID = hashID("30", s.downloadTaken, []byte("republish"), []byte(downloadID), []byte(at.Format(time.RFC3339)))
	for _, m := range s.st.Messages {
		if m.ID == downloadID && m.ListedFor == "" {
			s.addMessageLocked(n, &message{CIF: m.CIF, Tip: m.Tip, Detalii: m.Detalii})
		}
	}
	s.st.Archives[n.DownloadID] = n
	s.persistLocked()
	return n.DownloadID, nil
}

// HideUntil keeps the messages of downloadID out of every list until
// visibleAt, their data_creare unchanged: ANAF making a message visible
// later than its data_creare suggests (late publication).
func (s *Server) HideUntil(downloadID string, visibleAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, m := range s.st.Messages {
		if m.ID == downloadID {
			m.VisibleAt, found = visibleAt.UTC(), true
		}
	}
	if !found {
		return ErrUnknownMessage
	}
	s.persistLocked()
	return nil
}

// SetCreated sets the data_creare of the messages of downloadID (and of
// its archive) to at: with HideUntil, a message published late with an
// earlier data_creare.
func (s *Server) SetCreated(downloadID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Archives[downloadID]
	if a == nil {
		return ErrUnknownMessage
	}
	at = at.UTC().Truncate(time.Minute)
	a.Created = at
	for _, m := range s.st.Messages {
		if m.ID == downloadID {
			m.Created = at
		}
	}
	s.persistLocked()
	return nil
}

// Expire makes descarcare of downloadID answer ANAF's 60-day retention
// text while the message is still listed (ANAF's list and its download
// disagree near the edge).
func (s *Server) Expire(downloadID string) error {
	return s.markArchive(downloadID, func(a *archive) { a.Expired = true })
}

// OtherLayout makes descarcare of downloadID answer a valid ZIP of
// another layout (its two files in a folder) every time.
func (s *Server) OtherLayout(downloadID string) error {
	return s.markArchive(downloadID, func(a *archive) { a.OtherLayout = true })
}

func (s *Server) markArchive(downloadID string, mark func(*archive)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Archives[downloadID]
	if a == nil {
		return ErrUnknownMessage
	}
	mark(a)
	s.persistLocked()
	return nil
}

// ListAlsoFor shows the message downloadID of cif also in listCIF's list,
// with cif unchanged in the element: ANAF listing a message for another
// CIF. The gateway must not store it under listCIF's company.
func (s *Server) ListAlsoFor(downloadID, cif, listCIF string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.st.Messages {
		if m.ID == downloadID && m.CIF == cif && m.ListedFor == "" {
			c := *m
			c.ListedFor = listCIF
			s.st.Messages = append(s.st.Messages, &c)
			s.st.Known[listCIF] = true
			s.persistLocked()
			return nil
		}
	}
	return ErrUnknownMessage
}

// otherLayoutZIPLocked is a's ZIP with its files in a folder named after
// the download id: a valid ZIP that ANAF's layout (API.md §5) does not
// describe.
func (s *Server) otherLayoutZIPLocked(a *archive) ([]byte, error) {
	return s.otherLayoutZIP(a, s.docs[a.DocHash])
}

// otherLayoutZIP is otherLayoutZIPLocked with the document given (no
// mutable state of s read).
func (s *Server) otherLayoutZIP(a *archive, doc []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{a.DownloadID + "/factura_" + a.UploadIndex + ".xml", doc},
		{a.DownloadID + "/semnatura_" + a.UploadIndex + ".xml", s.signatureXML(a.UploadIndex, doc)},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: a.Created})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("anafsim: archive %s: %w", a.DownloadID, err)
	}
	return buf.Bytes(), nil
}

// otherLayoutAnswer answers one descarcare with the other-layout ZIP of
// the id asked for (FaultOtherLayout); false (answer normally) when the id
// is unknown, so ANAF's own text is given.
func (s *Server) otherLayoutAnswer(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	a := s.st.Archives[r.URL.Query().Get("id")]
	var (
		z   []byte
		err error
	)
	if a != nil {
		z, err = s.otherLayoutZIPLocked(a)
		if err == nil {
			s.downloads[a.DownloadID]++
		}
	}
	s.mu.Unlock()
	if a == nil || err != nil {
		return false
	}
	markOK(r)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(z)))
	_, _ = w.Write(z)
	return true
}

// Script is the body of POST /__sim/script: Action is "republish" (ID;
// At optional: the new message's data_creare), "hide_until" (ID, At),
// "set_created" (ID, At),
// "expire" (ID), "other_layout" (ID) or "list_also_for" (ID, CIF, ListCIF).
type Script struct {
	Action  string    `json:"action"`
	ID      string    `json:"id"`
	CIF     string    `json:"cif,omitempty"`
	ListCIF string    `json:"list_cif,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// Run applies one script; for "republish" it returns the new message id.
func (s *Server) Run(sc Script) (string, error) {
	switch sc.Action {
	case "republish":
		return s.Republish(sc.ID, sc.At)
	case "hide_until":
		return "", s.HideUntil(sc.ID, sc.At)
	case "set_created":
		return "", s.SetCreated(sc.ID, sc.At)
	case "expire":
		return "", s.Expire(sc.ID)
	case "other_layout":
		return "", s.OtherLayout(sc.ID)
	case "list_also_for":
		return "", s.ListAlsoFor(sc.ID, sc.CIF, sc.ListCIF)
	}
	return "", fmt.Errorf("anafsim: unknown script action %q", sc.Action)
}

func (s *Server) handleScript(w http.ResponseWriter, r *http.Request) {
	var sc Script
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&sc); err != nil {
		http.Error(w, "bad script JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	id, err := s.Run(sc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "id": id})
}
