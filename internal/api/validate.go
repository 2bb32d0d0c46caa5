package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// validateDoc serves POST /api/v1/validate (any valid key): the body is a
// UBL Invoice or CreditNote (application/xml or text/xml, at most 10 MB);
// ?profile=ro (default, ANAF CIUS-RO 1.0.9) or en (EN 16931 1.3.16). It
// answers 200 with the report, valid or not; nothing is stored and ANAF is
// not called.
func (h *handler) validateDoc(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	doc, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			tooLarge(w, mb.Limit)
			return
		}
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read.")
		return
	}
	rep, err := h.gw.Validate(r.Context(), p.Principal, doc, r.URL.Query().Get("profile"))
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Kind == gateway.KindInvalid {
		writeError(w, http.StatusBadRequest, strings.ToUpper(ge.Code), ge.Msg)
		return
	}
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
