package anafsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// LoadRejection publishes, for the seller of the UBL document data, the
// ERORI FACTURA message ANAF sends when it refuses an upload of data with
// texts (its error list), as if the seller had uploaded it an hour before
// the first time this was loaded (remembered in state). Loading the same
// document again is a no-op. It is not rebuilt by Reset. The demo uses it
// so the errors tab is not empty.
func (s *Server) LoadRejection(name string, data []byte, texts ...string) error {
	d, err := parseDoc(data)
	if err != nil {
		return fmt.Errorf("anafsim: %s: %w", name, err)
	}
	if d.SellerCIF == "" {
		return fmt.Errorf("anafsim: %s: the seller has no Romanian CIF", name)
	}
	if len(texts) == 0 {
		return fmt.Errorf("anafsim: %s: a rejection needs its error texts", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256(data)
	key := "rejected:" + hex.EncodeToString(sum[:])
	for _, u := range s.st.Uploads {
		if u.Loaded && u.Outcome == "nok" && u.Number == d.Number && u.Seller == d.SellerCIF && u.IssueDate == d.IssueDate {
			return nil // loaded before
		}
	}
	first, seen := s.st.FirstLoad[key]
	if !seen {
		first = s.now().UTC().Truncate(time.Minute)
		s.st.FirstLoad[key] = first
	}
	idx := hashID("50", s.uploadTaken, []byte("rejected"), data)
	u := &upload{
		Index: idx, CIF: d.SellerCIF, Seller: d.SellerCIF, Buyer: d.BuyerCIF,
		Number: d.Number, IssueDate: d.IssueDate, DocHash: s.storeDocLocked(data),
		Received: first.Add(-time.Hour), ReadyAt: first.Add(-time.Hour), Outcome: "nok", ErrorText: texts[0], ErrorTexts: texts,
		Loaded: true,
	}
	s.st.Uploads[idx] = u
	s.processUploadLocked(u)
	s.persistLocked()
	return nil
}
