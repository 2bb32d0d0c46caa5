package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
)

// The tamper-evident archive (docs/compliance.md): the key's company's
// chain, its daily heads as a file, and the audit pack.

type chainHeadJSON struct {
	Day       string    `json:"day"`
	Seq       int64     `json:"seq"`
	EntryHash string    `json:"entry_hash"`
	TakenAt   time.Time `json:"taken_at"`
}

type archiveChainJSON struct {
	CompanyCIF        string          `json:"company_cif"`
	Length            int64           `json:"length"`
	HeadHash          string          `json:"head_hash"`
	AttestsSince      *time.Time      `json:"attests_since"`
	BackfilledEntries int64           `json:"backfilled_entries"`
	BackfilledAt      *time.Time      `json:"backfilled_at"`
	DailyHeads        []chainHeadJSON `json:"daily_heads"`
}

// getArchiveChain serves GET /api/v1/archive: the chain's length, head,
// since when it attests, the entries chained after the fact at the
// migration, and the daily heads (newest first).
func (h *handler) getArchiveChain(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ac, err := h.gw.ArchiveChainOf(r.Context(), p.Principal, 0)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	out := archiveChainJSON{CompanyCIF: ac.Company.CIF, Length: ac.Length, HeadHash: ac.HeadHash, AttestsSince: ac.FirstAt,
		BackfilledEntries: ac.BackfillSeq, BackfilledAt: ac.BackfillAt, DailyHeads: []chainHeadJSON{}}
	for _, d := range ac.Digests {
		out.DailyHeads = append(out.DailyHeads, chainHeadJSON{Day: d.Day, Seq: d.Seq, EntryHash: d.EntryHash, TakenAt: d.TakenAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// downloadChainHeads serves GET /api/v1/archive/heads: the daily heads as
// CSV (day,company_id,cif,seq,entry_hash), to keep outside the gateway
// for `efactura verify-archive --heads`.
func (h *handler) downloadChainHeads(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	doc, err := h.gw.ChainHeadsFile(r.Context(), p.Principal, 0)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}

// downloadAuditPack serves GET /api/v1/audit-pack?from=&to=[&lang=]: the
// audit pack of the invoices issued in the period, streamed (no
// Content-Length); 400 INVALID_PERIOD, 413 AUDIT_PACK_TOO_LARGE above the cap.
func (h *handler) downloadAuditPack(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	lang := strings.ToLower(q.Get("lang"))
	if lang != "" && lang != "ro" && lang != "en" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lang must be ro or en.")
		return
	}
	ap, err := h.gw.AuditPack(r.Context(), p.Principal, gateway.AuditPackRequest{From: q.Get("from"), To: q.Get("to"), Lang: lang})
	switch {
	case errors.Is(err, gateway.ErrAuditPeriod):
		writeError(w, http.StatusBadRequest, "INVALID_PERIOD", gateway.ErrAuditPeriod.Msg)
		return
	case errors.Is(err, gateway.ErrAuditTooLarge):
		var ge *gateway.Error
		errors.As(err, &ge)
		writeError(w, http.StatusRequestEntityTooLarge, "AUDIT_PACK_TOO_LARGE", ge.Msg)
		return
	case err != nil:
		h.useCaseError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Content-Disposition", "attachment; filename="+attach.SafeName(ap.FileName))
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	// A large period outlasts the server's write timeout: the pack is
	// written as it is made, so the deadline is lifted for this answer.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	if err := ap.Write(r.Context(), w); err != nil {
		// The status is sent: the client sees a broken ZIP.
		h.Logger.WarnContext(r.Context(), "api: audit pack interrupted", slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("error", err.Error()))
	}
}
