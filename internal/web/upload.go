package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/locale"
)

// Sending invoices (issue 14, PRODUCT.md §3): the upload page of a
// company (choose files → validation report → sent → live state), the
// "Încărcări" (uploads) tab, an upload's page, and the buyer's message on
// a received invoice's page.

// MaxSendFiles is the most files one send form takes.
const MaxSendFiles = 20

// MaxSendBytes is the body limit of the send form: a few files of ANAF's
// largest size (each file is still at most 10 MB).
const MaxSendBytes = 5*invoice.MaxUploadSize + 64<<10

// sendOption is one of ANAF's upload flags as the form shows it.
type sendOption struct {
	Name    string // form field and gateway option: b2c, extern, autofactura, executare
	Checked bool
}

// sendPage is the upload page: the form and, after sending, one result per file.
type sendPage struct {
	Company *gateway.Company
	Tabs    []tabLink
	Options []sendOption
	Token   string // one-time form token: a double click sends once
	Error   string // the form was refused as a whole (no file, too large, too many)
	Results []sendResult
}

// sendResult is what became of one file.
type sendResult struct {
	File   string
	Upload *gateway.Upload // nil when refused before it was stored
	Report *gateway.ValidateReport
	Error  string // the refusal, in the user's language
	// Earlier is the earlier upload of the same invoice (a duplicate).
	Earlier *gateway.Upload
}

// uploadsPage is the "Încărcări" tab.
type uploadsPage struct {
	Company *gateway.Company
	Tabs    []tabLink
	States  []string
	State   string
	List    *gateway.UploadList
	Pages   int
	PrevURL string
	NextURL string
}

// uploadPage is one upload's page.
type uploadPage struct {
	Company *gateway.Company
	Upload  *gateway.Upload
}

// RefreshSeconds makes the page reload itself (without JavaScript) while
// the upload is still being followed.
func (p uploadPage) RefreshSeconds() int {
	if uploadDone(p.Upload) {
		return 0
	}
	return 5
}

// uploadDone reports whether the upload reached a final state.
func uploadDone(u *gateway.Upload) bool {
	switch u.State {
	case gateway.UploadInvalid, gateway.UploadOK, gateway.UploadNOK:
		return true
	}
	return false
}

// isSendForm reports whether r is POST /companies/{id}/upload.
func isSendForm(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/companies/")
	if !ok || r.Method != http.MethodPost {
		return false
	}
	id, tail, _ := strings.Cut(rest, "/")
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil && tail == "upload"
}

var sendOptionNames = []string{"b2c", "extern", "autofactura", "executare"}

// uploadStateNames are the states, in the order of the filter.
var uploadStateNames = []string{"sending", "pending", "unknown", "ok", "nok", "invalid"}

// memberCompany returns company {id} when the user is one of its members;
// anyone else gets 404.
func (a *app) memberCompany(w http.ResponseWriter, r *http.Request) (*gateway.Company, bool) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return nil, false
	}
	companies, err := a.gw().Companies(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return nil, false
	}
	for i := range companies {
		if companies[i].ID == id {
			return &companies[i], true
		}
	}
	a.notFound(w, r)
	return nil, false
}

// companyTabs are the dashboard's tabs of the company plus "Încărcări".
func companyTabs(companyID int64, active string) []tabLink {
	id := strconv.FormatInt(companyID, 10)
	var tabs []tabLink
	for _, tab := range dashboardTabs {
		u := "/?company=" + id
		if tab.Key != "all" {
			u += "&tab=" + tab.Key
		}
		tabs = append(tabs, tabLink{Label: "dash.tab." + tab.Key, URL: u})
	}
	tabs = append(tabs, tabLink{Label: "upload.tab", URL: "/companies/" + id + "/uploads", Active: active == "uploads"})
	ct := complianceTab(companyID)
	ct.Active = active == "compliance"
	return append(tabs, ct)
}

// newFormToken is a one-time token for the send form.
func newFormToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (a *app) showSendPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	p := sendPage{Company: c, Tabs: companyTabs(c.ID, ""), Token: newFormToken()}
	for _, n := range sendOptionNames {
		p.Options = append(p.Options, sendOption{Name: n})
	}
	a.render(w, r, http.StatusOK, "upload", "invoices", p)
}

// sentFile is one file of the send form.
type sentFile struct {
	name string
	data []byte
	err  error // errUploadTooLarge, or unreadable
}

// sentFiles reads the form's files (field "file", several allowed).
func sentFiles(r *http.Request) ([]sentFile, error) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errUploadTooLarge
		}
		if errors.Is(err, http.ErrNotMultipart) {
			return nil, nil
		}
		return nil, err
	}
	var out []sentFile
	for _, fh := range r.MultipartForm.File["file"] {
		out = append(out, readSentFile(fh))
	}
	return out, nil
}

func readSentFile(fh *multipart.FileHeader) sentFile {
	sf := sentFile{name: fh.Filename}
	if fh.Size > invoice.MaxUploadSize {
		sf.err = errUploadTooLarge
		return sf
	}
	f, err := fh.Open()
	if err != nil {
		sf.err = err
		return sf
	}
	defer f.Close()
	sf.data, sf.err = io.ReadAll(io.LimitReader(f, invoice.MaxUploadSize+1))
	if sf.err == nil && len(sf.data) > invoice.MaxUploadSize {
		sf.err, sf.data = errUploadTooLarge, nil
	}
	return sf
}

// submitSend validates each chosen file and sends the valid ones: the
// page shows, per file, the validation report of an invalid one (never
// sent) or the new upload with its live state. The form's one-time token
// makes the idempotency key of each file, so a double click (or a
// resubmission) sends nothing twice.
func (a *app) submitSend(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	p := sendPage{Company: c, Tabs: companyTabs(c.ID, ""), Token: newFormToken()}
	files, err := sentFiles(r)
	var opts gateway.UploadOptions
	set := map[string]*bool{"b2c": &opts.B2C, "extern": &opts.Extern, "autofactura": &opts.Autofactura, "executare": &opts.Executare}
	for _, n := range sendOptionNames {
		on := r.PostFormValue(n) != ""
		*set[n] = on
		p.Options = append(p.Options, sendOption{Name: n, Checked: on})
	}
	switch {
	case errors.Is(err, errUploadTooLarge):
		p.Error = a.t(r, "upload.too.large.all")
	case err != nil || len(files) == 0:
		p.Error = a.t(r, "validate.no.file")
	case len(files) > MaxSendFiles:
		p.Error = a.t(r, "upload.too.many", MaxSendFiles)
	case opts.B2C && opts.Extern:
		p.Error = a.t(r, "upload.err.invalid_options")
	}
	if p.Error != "" {
		a.render(w, r, http.StatusUnprocessableEntity, "upload", "invoices", p)
		return
	}
	token := r.PostFormValue("token")
	if len(token) > 64 || strings.ContainsFunc(token, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		token = ""
	}
	// 200 with one result per file, refused ones included (as /validate
	// answers an invalid document): the form itself was taken.
	for i, f := range files {
		res := sendResult{File: f.name}
		switch {
		case errors.Is(f.err, errUploadTooLarge):
			res.Error = a.t(r, "validate.too.large")
		case f.err != nil || len(f.data) == 0:
			res.Error = a.t(r, "upload.err.empty_document")
		default:
			req := gateway.UploadRequest{CompanyID: c.ID, FileName: f.name, XML: f.data, Options: opts}
			if token != "" {
				req.IdempotencyKey = "web:" + token + ":" + strconv.Itoa(i)
			}
			up, err := a.gw().UploadInvoice(r.Context(), a.principal(r), req)
			if err != nil && !a.sendRefusal(r, err, &res) {
				a.sendError(w, r, err)
				return
			}
			if up != nil {
				res.Upload, res.Report = up, up.Report
			}
		}
		p.Results = append(p.Results, res)
	}
	a.render(w, r, http.StatusOK, "upload", "invoices", p)
}

// sendRefusal turns a refusal of one file into its message; false when
// err is not a refusal of the file (the page fails as a whole).
func (a *app) sendRefusal(r *http.Request, err error, res *sendResult) bool {
	var dup *gateway.DuplicateInvoiceError
	if errors.As(err, &dup) {
		res.Earlier = dup.Earlier
		if dup.Earlier != nil {
			res.Error = a.t(r, "upload.err.duplicate.of", dup.Earlier.ID, a.t(r, "upload.state."+string(dup.Earlier.State)))
		} else {
			res.Error = a.t(r, "upload.err.duplicate_invoice")
		}
		return true
	}
	if errors.Is(err, gateway.ErrUnverified) {
		res.Error = a.t(r, "upload.err.unverified")
		return true
	}
	var ge *gateway.Error
	if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalid && ge.Kind != gateway.KindConflict {
		return false
	}
	key := "upload.err." + ge.Code
	if _, ok := messages[key]; !ok {
		key = "upload.err.refused"
	}
	res.Error = a.t(r, key)
	return true
}

// sendError answers a failure of the whole send form: 404 for a company
// the user may not see, 403 with the reason when they may not send, a
// 503 page when the gateway is unavailable, else a 500.
func (a *app) sendError(w http.ResponseWriter, r *http.Request, err error) {
	var ge *gateway.Error
	switch {
	case errors.As(err, &ge) && ge.Kind == gateway.KindNotFound:
		a.notFound(w, r)
	case errors.As(err, &ge) && ge.Kind == gateway.KindForbidden:
		msg := a.t(r, "upload.err.forbidden")
		if _, ok := messages["tenancy."+ge.Code]; ok {
			msg = a.t(r, "tenancy."+ge.Code)
		}
		a.render(w, r, http.StatusForbidden, "error", "invoices", errorPage{Message: msg})
	case errors.As(err, &ge) && ge.Kind == gateway.KindUnavailable:
		a.render(w, r, http.StatusServiceUnavailable, "error", "invoices", errorPage{Message: a.t(r, "upload.err.unavailable")})
	default:
		a.serverError(w, r, err)
	}
}

// showUploadsPage is the "Încărcări" tab: the company's uploads, newest
// first, filtered by state; 25 a page.
func (a *app) showUploadsPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := uploadsPage{Company: c, Tabs: companyTabs(c.ID, "uploads"), States: uploadStateNames}
	f := gateway.UploadFilter{Page: 1, PerPage: 25}
	for _, s := range uploadStateNames {
		if q.Get("state") == s {
			f.State, p.State = gateway.UploadState(s), s
		}
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 1_000_000 {
		f.Page = n
	}
	list, err := a.gw().Uploads(r.Context(), a.principal(r), c.ID, f)
	if err != nil {
		a.sendError(w, r, err)
		return
	}
	p.List = list
	p.Pages = max(1, (list.Total+f.PerPage-1)/f.PerPage)
	pageURL := func(n int) string {
		v := url.Values{}
		if p.State != "" {
			v.Set("state", p.State)
		}
		v.Set("page", strconv.Itoa(n))
		return "/companies/" + strconv.FormatInt(c.ID, 10) + "/uploads?" + v.Encode()
	}
	if f.Page > 1 {
		p.PrevURL = pageURL(f.Page - 1)
	}
	if f.Page < p.Pages {
		p.NextURL = pageURL(f.Page + 1)
	}
	a.render(w, r, http.StatusOK, "uploads", "invoices", p)
}

// upload loads upload {id} when the user may see it (else 404).
func (a *app) upload(w http.ResponseWriter, r *http.Request) (*gateway.Upload, bool) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return nil, false
	}
	up, err := a.gw().GetUpload(r.Context(), a.principal(r), id)
	if err != nil {
		a.sendError(w, r, err)
		return nil, false
	}
	return up, true
}

func (a *app) showUploadPage(w http.ResponseWriter, r *http.Request) {
	up, ok := a.upload(w, r)
	if !ok {
		return
	}
	p := uploadPage{Upload: up}
	if companies, err := a.gw().Companies(r.Context(), a.actor(r)); err == nil {
		for i := range companies {
			if companies[i].ID == up.CompanyID {
				p.Company = &companies[i]
			}
		}
	}
	a.render(w, r, http.StatusOK, "upload_detail", "invoices", p)
}

// uploadStatus is the JSON answer of GET /uploads/{id}/status, read by
// app.js to follow an upload live.
type uploadStatus struct {
	State       string                `json:"state"`
	Label       string                `json:"label"`
	At          string                `json:"at"`
	Done        bool                  `json:"done"`
	IDIncarcare string                `json:"id_incarcare"`
	Errors      []gateway.UploadError `json:"errors"`
	InvoiceURL  string                `json:"invoice_url,omitempty"`
}

func (a *app) showUploadStatus(w http.ResponseWriter, r *http.Request) {
	up, ok := a.upload(w, r)
	if !ok {
		return
	}
	lang := reqCtx(r).lang
	st := uploadStatus{State: string(up.State), Label: a.t(r, "upload.state."+string(up.State)), At: formatDateTime(lang, up.StateAt),
		Done: uploadDone(up), IDIncarcare: up.IDIncarcare, Errors: up.Errors}
	if st.Errors == nil {
		st.Errors = []gateway.UploadError{}
	}
	if up.InvoiceID > 0 {
		st.InvoiceURL = "/invoices/" + strconv.FormatInt(up.InvoiceID, 10)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// maxBuyerNote is the longest buyer message note taken.
const maxBuyerNote = 1000

// submitBuyerMessage sends ANAF's buyer message (RASP) about a received
// invoice: accept or reject, with a note. The invoice must be one the
// user may see (else 404); the answer is a flash on the invoice's page.
func (a *app) submitBuyerMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	back := "/invoices/" + strconv.FormatInt(id, 10)
	inv, _, err := a.gw().Invoice(r.Context(), a.principal(r), id)
	if err != nil {
		a.documentError(w, r, err)
		return
	}
	decision := r.PostFormValue("decision")
	note := strings.TrimSpace(r.PostFormValue("note"))
	switch {
	case inv.MessageType != gateway.TypeReceived:
		a.setFlash(r, "error", a.t(r, "rasp.not.received"))
	case decision != "accept" && decision != "reject":
		a.setFlash(r, "error", a.t(r, "rasp.decision.required"))
	case len([]rune(note)) > maxBuyerNote:
		a.setFlash(r, "error", a.t(r, "rasp.note.long", maxBuyerNote))
	case note == "":
		a.setFlash(r, "error", a.t(r, "rasp.note.required"))
	default:
		up, err := a.gw().SendBuyerMessage(r.Context(), a.principal(r), id, decision == "accept", note)
		var ge *gateway.Error
		switch {
		case err == nil:
			a.setFlash(r, "ok", a.t(r, "rasp.sent", up.ID))
		case errors.As(err, &ge) && (ge.Kind == gateway.KindInvalid || ge.Kind == gateway.KindConflict):
			key := "upload.err." + ge.Code
			if _, ok := messages[key]; !ok {
				key = "upload.err.refused"
			}
			a.setFlash(r, "error", a.t(r, key))
		default:
			a.sendError(w, r, err)
			return
		}
	}
	redirect(w, r, back)
}

// formatDateTime shows t in Europe/Bucharest: dd.mm.yyyy HH:MM (ro),
// "7 Jan 2026 14:05" (en).
func formatDateTime(lang string, t time.Time) string { return locale.DateTime(lang, t) }

// formatDay shows a YYYY-MM-DD day: "07.01.2026" (ro), "7 Jan 2026" (en).
func formatDay(lang, day string) string { return locale.Day(lang, day) }
