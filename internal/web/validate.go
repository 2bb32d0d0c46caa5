package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
)

// MaxUploadBytes is the body limit of the validation upload (POST
// /validate): ANAF's 10 MB limit for the file plus room for the multipart
// envelope. Every other route keeps MaxFormBytes.
const MaxUploadBytes = invoice.MaxUploadSize + 64<<10

// uploadRoutes are the routes that take MaxUploadBytes.
var uploadRoutes = map[string]bool{"POST /validate": true}

// validatePage is the "Validare" page: the form and, after an upload, the report.
type validatePage struct {
	Profile string // ro or en
	File    string
	Error   string // the upload was refused (no file, too large)
	Report  *gateway.ValidateReport
}

func (a *app) showValidatePage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "validate", "validate", validatePage{Profile: "ro"})
}

// submitValidate validates one uploaded XML file offline (no ANAF call,
// nothing stored) and shows the verdict with each error.
func (a *app) submitValidate(w http.ResponseWriter, r *http.Request) {
	page := validatePage{Profile: "ro"}
	if r.PostFormValue("profile") == "en" {
		page.Profile = "en"
	}
	doc, name, err := uploadedFile(r, "file")
	switch {
	case errors.Is(err, errUploadTooLarge):
		page.Error = a.t(r, "validate.too.large")
	case err != nil || len(doc) == 0:
		page.Error = a.t(r, "validate.no.file")
	}
	if page.Error != "" {
		a.render(w, r, http.StatusUnprocessableEntity, "validate", "validate", page)
		return
	}
	page.File = name
	rep, err := a.gw().Validate(r.Context(), gateway.UserPrincipal(a.actor(r)), doc, page.Profile)
	if err != nil {
		var ge *gateway.Error
		if errors.As(err, &ge) && ge.Kind == gateway.KindInvalid {
			page.Error = a.t(r, "validate.no.file")
			a.render(w, r, http.StatusUnprocessableEntity, "validate", "validate", page)
			return
		}
		a.serverError(w, r, err)
		return
	}
	page.Report = rep
	a.render(w, r, http.StatusOK, "validate", "validate", page)
}

var errUploadTooLarge = errors.New("web: upload larger than the limit")

// uploadedFile reads the multipart field's file, at most invoice.MaxUploadSize bytes.
func uploadedFile(r *http.Request, field string) ([]byte, string, error) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, "", errUploadTooLarge
		}
		return nil, "", err
	}
	f, h, err := r.FormFile(field)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if h.Size > invoice.MaxUploadSize {
		return nil, "", errUploadTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, invoice.MaxUploadSize+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > invoice.MaxUploadSize {
		return nil, "", errUploadTooLarge
	}
	return data, h.Filename, nil
}
