package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// The tamper-evident archive page (docs/compliance.md): the company's
// chain, its daily heads (a CSV to keep elsewhere) and the audit pack.

// archivePage is the data of archive.html.
type archivePage struct {
	Company  *gateway.Company
	Chain    *gateway.ArchiveChain
	From, To string
	// PackError is the refusal of the audit pack form, in the page's language.
	PackError string
	PackMax   int
	// Length, BackfillSeq and Digests as the page shows them (num takes an int).
	Length, BackfillSeq int
	Digests             []digestRow
}

// digestRow is one daily head on the page.
type digestRow struct {
	Day, EntryHash string
	Seq            int
	TakenAt        time.Time
}

func (a *app) showArchivePage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	a.renderArchive(w, r, http.StatusOK, archivePage{Company: c})
}

func (a *app) renderArchive(w http.ResponseWriter, r *http.Request, status int, p archivePage) {
	ac, err := a.gw().ArchiveChainOf(r.Context(), a.principal(r), p.Company.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	p.Chain, p.PackMax = ac, gateway.AuditPackMax
	p.Length, p.BackfillSeq = int(ac.Length), int(ac.BackfillSeq)
	for _, d := range ac.Digests {
		p.Digests = append(p.Digests, digestRow{Day: d.Day, EntryHash: d.EntryHash, Seq: int(d.Seq), TakenAt: d.TakenAt})
	}
	a.render(w, r, status, "archive", "companies", p)
}

// downloadChainHeads serves the company's daily heads as CSV.
func (a *app) downloadChainHeads(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	doc, err := a.gw().ChainHeadsFile(r.Context(), a.principal(r), c.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}

// downloadAuditPack streams the audit pack of ?from=&to= (issue dates);
// a refused period shows the page again with the reason (422).
func (a *app) downloadAuditPack(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := archivePage{Company: c, From: q.Get("from"), To: q.Get("to")}
	gw := a.gw()
	if a.PDFGuard != nil && gw.PDFGuard != a.PDFGuard {
		g := *gw
		g.PDFGuard = a.PDFGuard
		gw = &g
	}
	ap, err := gw.AuditPack(r.Context(), a.principal(r), gateway.AuditPackRequest{CompanyID: c.ID, From: p.From, To: p.To, Lang: reqCtx(r).lang})
	var ge *gateway.Error
	switch {
	case errors.Is(err, gateway.ErrAuditPeriod):
		p.PackError = a.t(r, "chain.pack.period")
		a.renderArchive(w, r, http.StatusUnprocessableEntity, p)
		return
	case errors.Is(err, gateway.ErrAuditTooLarge):
		p.PackError = a.t(r, "chain.pack.too.large", gateway.AuditPackMax)
		a.renderArchive(w, r, http.StatusUnprocessableEntity, p)
		return
	case errors.Is(err, gateway.ErrUnverified):
		p.PackError = a.t(r, "chain.pack.unverified")
		a.renderArchive(w, r, http.StatusUnprocessableEntity, p)
		return
	case errors.As(err, &ge) || err != nil:
		a.useCaseError(w, r, err, "/companies")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", "attachment; filename="+attach.SafeName(ap.FileName))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// A large period outlasts the server's write timeout: the pack is
	// written as it is made, so the deadline is lifted for this answer.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	if err := ap.Write(r.Context(), w); err != nil {
		// The status is sent: the browser keeps a broken ZIP.
		a.Logger.WarnContext(r.Context(), "audit pack interrupted", "path", r.URL.Path, "error", err.Error())
	}
}
