package anafsim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Message types (tip) of API.md §4.
const (
	TipTrimisa = "FACTURA TRIMISA"
	TipPrimita = "FACTURA PRIMITA"
	TipErori   = "ERORI FACTURA"
)

const stateVersion = 1

// state is everything persisted in StateDir/state.json.
type state struct {
	Version     int                  `json:"version"`
	SigningSeed []byte               `json:"signing_seed"` // ed25519 seed of the "MF" key
	JWTSecret   []byte               `json:"jwt_secret"`   // HS256 key of issued JWTs
	FirstLoad   map[string]time.Time `json:"first_load"`   // content sha256 hex → first LoadFile time
	Known       map[string]bool      `json:"known_cifs"`
	Archives    map[string]*archive  `json:"archives"` // download id → archive
	Messages    []*message           `json:"messages"`
	Uploads     map[string]*upload   `json:"uploads"` // upload index → upload
	Tokens      map[string]*tokenRec `json:"tokens"`  // jti (JWT) or the opaque token → record
	UploadSeq   int                  `json:"upload_seq"`
}

func newState() *state {
	return &state{
		Version:   stateVersion,
		FirstLoad: map[string]time.Time{},
		Known:     map[string]bool{},
		Archives:  map[string]*archive{},
		Uploads:   map[string]*upload{},
		Tokens:    map[string]*tokenRec{},
	}
}

// archive is one downloadable ZIP: <UploadIndex>.xml (doc DocHash) + signature.
type archive struct {
	DownloadID  string    `json:"download_id"`
	UploadIndex string    `json:"upload_index"`
	DocHash     string    `json:"doc_hash"`
	Created     time.Time `json:"created"`
	CIFs        []string  `json:"cifs"` // CIFs whose messages point at it
	// Expired: descarcare answers the 60-day text although the message is
	// still listed (Server.Expire).
	Expired bool `json:"expired,omitempty"`
	// OtherLayout: descarcare answers a ZIP of another layout (Server.OtherLayout).
	OtherLayout bool `json:"other_layout,omitempty"`
}

// message is one element of a CIF's message list.
type message struct {
	ID          string    `json:"id"`
	UploadIndex string    `json:"upload_index"`
	CIF         string    `json:"cif"`
	Tip         string    `json:"tip"`
	Detalii     string    `json:"detalii"`
	Created     time.Time `json:"created"`
	// VisibleAt: the message is in no list before it, whatever its
	// data_creare (late publication, Server.HideUntil); zero: at once.
	VisibleAt time.Time `json:"visible_at,omitzero"`
	// ListedFor: this element appears in ListedFor's list (not in CIF's),
	// with cif = CIF (ANAF listing a message for another CIF, Server.ListAlsoFor).
	ListedFor string `json:"listed_for,omitempty"`
}

// listOwner is the CIF whose list shows m.
func (m *message) listOwner() string {
	if m.ListedFor != "" {
		return m.ListedFor
	}
	return m.CIF
}

// upload is a document received by /upload or loaded from a file.
type upload struct {
	Index      string    `json:"index"`
	CIF        string    `json:"cif"` // the cif query parameter (or seller for loaded files)
	Seller     string    `json:"seller"`
	Buyer      string    `json:"buyer"`
	Number     string    `json:"number"`
	IssueDate  string    `json:"issue_date"`
	B2C        bool      `json:"b2c,omitempty"`
	Loaded     bool      `json:"loaded,omitempty"` // from LoadFile, not /upload
	DocHash    string    `json:"doc_hash"`
	Received   time.Time `json:"received"`
	ReadyAt    time.Time `json:"ready_at"`
	Outcome    string    `json:"outcome"` // "ok" | "nok"
	ErrorText  string    `json:"error_text,omitempty"`
	ErrorTexts []string  `json:"error_texts,omitempty"` // every error when there are several (ErrorText is the first)
	DownloadID string    `json:"download_id,omitempty"` // set once processed
	Done       bool      `json:"done"`

	Autofactura bool   `json:"autofactura,omitempty"` // autofactura=DA: the buyer (cif) issues for the seller
	Extern      bool   `json:"extern,omitempty"`      // extern=DA: buyer outside Romania, no FACTURA PRIMITA
	RASP        bool   `json:"rasp,omitempty"`        // standard=RASP buyer message
	RefIndex    string `json:"ref_index,omitempty"`   // RASP: index_incarcare of the invoice it is about
}

func (s *Server) statePath() string { return filepath.Join(s.opts.StateDir, "state.json") }

func (s *Server) loadState() (*state, error) {
	if s.opts.StateDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Join(s.opts.StateDir, "docs"), 0o755); err != nil {
		return nil, fmt.Errorf("anafsim: state dir: %w", err)
	}
	data, err := os.ReadFile(s.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("anafsim: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("anafsim: parse state %s: %w", s.statePath(), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("anafsim: state %s has version %d, want %d", s.statePath(), st.Version, stateVersion)
	}
	for _, a := range st.Archives {
		if _, ok := s.docs[a.DocHash]; ok {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(s.opts.StateDir, "docs", a.DocHash+".xml"))
		if err != nil {
			return nil, fmt.Errorf("anafsim: read archived document: %w", err)
		}
		s.docs[a.DocHash] = doc
	}
	return st, nil
}

// saveLocked writes state.json atomically (temp file + rename).
func (s *Server) saveLocked() error {
	if s.opts.StateDir == "" {
		return nil
	}
	data, err := json.MarshalIndent(s.st, "", " ")
	if err != nil {
		return fmt.Errorf("anafsim: encode state: %w", err)
	}
	return writeAtomic(s.statePath(), data)
}

// persistLocked saves and logs (instead of returning) a failure.
func (s *Server) persistLocked() {
	if err := s.saveLocked(); err != nil {
		s.logger.Error("anafsim: persist state", "err", err)
	}
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("anafsim: write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("anafsim: write %s: %w", path, err)
	}
	return nil
}

// storeDocLocked keeps doc in memory and (once) under StateDir/docs.
func (s *Server) storeDocLocked(doc []byte) string {
	sum := sha256.Sum256(doc)
	h := hex.EncodeToString(sum[:])
	if _, ok := s.docs[h]; ok {
		return h
	}
	s.docs[h] = doc
	if s.opts.StateDir != "" {
		p := filepath.Join(s.opts.StateDir, "docs", h+".xml")
		if _, err := os.Stat(p); err != nil {
			if err := writeAtomic(p, doc); err != nil {
				s.logger.Error("anafsim: persist document", "err", err)
			}
		}
	}
	return h
}

// hashID returns prefix + 8 decimal digits derived from sha256(parts...),
// probing upward past ids taken by taken().
func hashID(prefix string, taken func(string) bool, parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	n := binary.BigEndian.Uint64(h.Sum(nil)[:8]) % 100_000_000
	for {
		id := fmt.Sprintf("%s%08d", prefix, n)
		if !taken(id) {
			return id
		}
		n = (n + 1) % 100_000_000
	}
}

func (s *Server) uploadTaken(id string) bool   { _, ok := s.st.Uploads[id]; return ok }
func (s *Server) downloadTaken(id string) bool { _, ok := s.st.Archives[id]; return ok }

// loadLocked turns a parsed loaded file into an upload + messages (idempotent).
func (s *Server) loadLocked(data []byte, d *docInfo) {
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	first, seen := s.st.FirstLoad[key]
	if !seen {
		first = s.now().UTC().Truncate(time.Minute)
		s.st.FirstLoad[key] = first
	}
	if s.loadedHash[key] {
		return // already loaded
	}
	s.loadedHash[key] = true
	offset := time.Duration(binary.BigEndian.Uint64(sum[8:16])%uint64(loadSpread/time.Minute)) * time.Minute
	created := loadedCreated(first, offset, d.IssueDate)
	idx := hashID("50", s.uploadTaken, []byte("upload"), data)
	dl := hashID("30", s.downloadTaken, []byte("download"), data)
	uploader := d.SellerCIF
	if uploader == "" {
		uploader = d.BuyerCIF
	}
	u := &upload{
		Index: idx, CIF: uploader, Seller: d.SellerCIF, Buyer: d.BuyerCIF,
		Number: d.Number, IssueDate: d.IssueDate, DocHash: s.storeDocLocked(data),
		Received: first, ReadyAt: created, Outcome: "ok", DownloadID: dl, Done: true, Loaded: true,
	}
	s.st.Uploads[idx] = u
	s.publishOKLocked(u, created)
}

// loadedCreated is a loaded file's data_creare: offset before its first
// load, but never before its issue date (BT-2, a day in Romania) — ANAF
// cannot have received an invoice before it was issued. An invoice issued
// within the spread gets a time between its issue day and the first load,
// drawn from offset too; one issued later than that (dated in the future)
// is left at the latest time allowed. Never within loadRecent of the first
// load, so that a sync started at once lists it (the gateway lists up to a
// minute ago).
func loadedCreated(first time.Time, offset time.Duration, issueDate string) time.Time {
	latest := first.Add(-loadRecent)
	created := first.Add(-offset)
	if created.After(latest) {
		created = latest
	}
	day, err := time.ParseInLocation(time.DateOnly, issueDate, bucharest)
	if err != nil || !created.Before(day) {
		return created
	}
	span := latest.Sub(day)
	if span <= time.Minute {
		return latest
	}
	return day.Add(offset % span).UTC().Truncate(time.Minute)
}

// publishOKLocked creates the archive and the TRIMISA/PRIMITA messages of u.
// Self-billing (autofactura): the buyer, who uploaded, sees FACTURA TRIMISA
// and the seller FACTURA PRIMITA, both with ANAF's self-billing detalii.
// B2C and extern uploads give the buyer no message.
func (s *Server) publishOKLocked(u *upload, created time.Time) {
	detalii := fmt.Sprintf("Factura cu id_incarcare=%s emisa de cif_emitent=%s pentru cif_beneficiar=%s", u.Index, u.Seller, u.Buyer)
	a := &archive{DownloadID: u.DownloadID, UploadIndex: u.Index, DocHash: u.DocHash, Created: created}
	if u.Autofactura {
		detalii = fmt.Sprintf("Factura cu id_incarcare=%s transmisa de cif=%s  ca autofactutra in numele cif=%s", u.Index, u.Buyer, u.Seller)
		s.addMessageLocked(a, &message{CIF: u.Buyer, Tip: TipTrimisa, Detalii: detalii})
		if u.Seller != "" && u.Seller != u.Buyer {
			s.addMessageLocked(a, &message{CIF: u.Seller, Tip: TipPrimita, Detalii: detalii})
		}
		s.st.Archives[a.DownloadID] = a
		return
	}
	if u.Seller != "" {
		s.addMessageLocked(a, &message{CIF: u.Seller, Tip: TipTrimisa, Detalii: detalii})
	}
	if u.Buyer != "" && !u.B2C && !u.Extern {
		s.addMessageLocked(a, &message{CIF: u.Buyer, Tip: TipPrimita, Detalii: detalii})
	}
	s.st.Archives[a.DownloadID] = a
}

func (s *Server) addMessageLocked(a *archive, m *message) {
	m.ID, m.UploadIndex, m.Created = a.DownloadID, a.UploadIndex, a.Created
	a.CIFs = append(a.CIFs, m.CIF)
	s.st.Known[m.CIF] = true
	s.st.Messages = append(s.st.Messages, m)
}

// processDueLocked publishes uploads whose processing delay has passed.
func (s *Server) processDueLocked() {
	now := s.now()
	changed := false
	for idx, u := range s.pending {
		if now.Before(u.ReadyAt) {
			continue
		}
		delete(s.pending, idx)
		if !u.Done {
			s.processUploadLocked(u)
			changed = true
		}
	}
	if changed {
		s.persistLocked()
	}
}

func (s *Server) processUploadLocked(u *upload) {
	u.Done = true
	u.DownloadID = hashID("30", s.downloadTaken, []byte("download"), []byte(u.Index), []byte(u.DocHash))
	created := u.ReadyAt.UTC().Truncate(time.Minute)
	if u.RASP && u.Outcome == "ok" {
		s.publishRASPLocked(u, created)
		return
	}
	if u.Outcome == "ok" {
		s.publishOKLocked(u, created)
		return
	}
	target := u.CIF
	if target == "" {
		target = u.Seller
	}
	texts := u.ErrorTexts
	if len(texts) == 0 {
		texts = []string{u.ErrorText}
	}
	errDoc := errorsXML(u.Index, target, texts...)
	a := &archive{DownloadID: u.DownloadID, UploadIndex: u.Index, DocHash: s.storeDocLocked(errDoc), Created: created}
	detalii := "Erori de validare identificate la factura transmisa cu id_incarcare=" + u.Index
	if u.Autofactura {
		detalii = "Erori de validare identificate la factura de tip declarat=AUTOFACTURA, transmisa cu id_incarcare=" + u.Index
	}
	s.addMessageLocked(a, &message{CIF: target, Tip: TipErori, Detalii: detalii})
	s.st.Archives[a.DownloadID] = a
}

// publishRASPLocked publishes an accepted RASP upload: one archive (file 1 =
// the RASP body) listed for the seller (RASPTipSeller) and the buyer
// (RASPTipBuyer) of the invoice it is about.
func (s *Server) publishRASPLocked(u *upload, created time.Time) {
	a := &archive{DownloadID: u.DownloadID, UploadIndex: u.Index, DocHash: u.DocHash, Created: created}
	detalii := "Mesaj RASP primit de la cumparator pentru factura cu id_incarcare=" + u.RefIndex
	if u.Seller != "" {
		s.addMessageLocked(a, &message{CIF: u.Seller, Tip: s.opts.RASPTipSeller, Detalii: detalii})
	}
	if u.Buyer != "" && u.Buyer != u.Seller {
		s.addMessageLocked(a, &message{CIF: u.Buyer, Tip: s.opts.RASPTipBuyer, Detalii: detalii})
	}
	s.st.Archives[a.DownloadID] = a
}

// indexLocked rebuilds the in-memory indexes of s.st (loaded documents,
// uploads still processing).
func (s *Server) indexLocked() {
	s.loadedHash = map[string]bool{}
	s.pending = map[string]*upload{}
	for idx, u := range s.st.Uploads {
		if u.Loaded && u.Outcome != "nok" { // LoadRejection's are no loaded file
			s.loadedHash[u.DocHash] = true
		}
		if !u.Done {
			s.pending[idx] = u
		}
	}
}

// hasRightLocked reports whether the certificate holder may act for cif
// (Options.RightsCIFs, else every CIF known to the simulator).
func (s *Server) hasRightLocked(cif string) bool {
	if cif == "" {
		return false
	}
	if len(s.opts.RightsCIFs) > 0 {
		for _, c := range s.opts.RightsCIFs {
			if c == cif {
				return true
			}
		}
		return false
	}
	return s.st.Known[cif]
}

func (s *Server) anyRightLocked() bool {
	return len(s.opts.RightsCIFs) > 0 || len(s.st.Known) > 0
}

// mayLocked reports whether the token (nil: no token, public call) may act
// for cif: the certificate's rights intersected with the token's grant.
func (s *Server) mayLocked(tok *tokenRec, cif string) bool {
	if !s.hasRightLocked(cif) {
		return false
	}
	return tok == nil || !tok.Scoped || contains(tok.CIFs, cif)
}

// anyMayLocked reports whether the token may act for at least one CIF.
func (s *Server) anyMayLocked(tok *tokenRec) bool {
	if !s.anyRightLocked() {
		return false
	}
	if tok == nil || !tok.Scoped {
		return true
	}
	for _, c := range tok.CIFs {
		if s.hasRightLocked(c) {
			return true
		}
	}
	return false
}

// listableLocked reports whether m is in the lists now: created in the last
// 60 days and not in the future.
func (s *Server) listableLocked(m *message) bool {
	now := s.now()
	return !m.Created.Before(now.Add(-retention)) && !m.Created.After(now) && !m.VisibleAt.After(now)
}
