package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
)

// The response envelopes. Their fields are in the order encoding/json
// gave the map[string]any envelopes they replace (alphabetical), so the
// bytes on the wire are unchanged; client/ has their twins.

// errorBody is the Flask gateway's error shape {"error","message","code"}.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// listResponse is GET /api/v1/invoices.
type listResponse struct {
	Data       []invoiceJSON `json:"data"`
	Meta       listMeta      `json:"meta"`
	Pagination pagination    `json:"pagination"`
}

type listMeta struct {
	CompanyCIF string `json:"company_cif"`
	CompanyID  int64  `json:"company_id"`
}

type pagination struct {
	HasNext bool `json:"has_next"`
	HasPrev bool `json:"has_prev"`
	Page    int  `json:"page"`
	Pages   int  `json:"pages"`
	PerPage int  `json:"per_page"`
	Total   int  `json:"total"`
}

// dataResponse is GET /api/v1/invoices/{id}: {"data": invoice}.
type dataResponse[T any] struct {
	Data T `json:"data"`
}

// runsResponse is GET /api/v1/sync.
type runsResponse struct {
	Runs []syncRunJSON `json:"runs"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// writeError writes the Flask gateway's error shape {"error","message","code"}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: http.StatusText(status), Message: message, Code: code})
}

func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.Logger.ErrorContext(r.Context(), "api error", slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
		slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "An internal error occurred. Quote the X-Request-ID header when reporting it.")
}

// useCaseError answers a use case's error, the one place where a
// gateway.Error becomes the API's error envelope: its status
// (Error.HTTPStatus, except 413 for EXPORT_TOO_LARGE), its code in upper
// case (invoice_not_found → INVOICE_NOT_FOUND, document_too_large →
// DOCUMENT_TOO_LARGE, service_unavailable → SERVICE_UNAVAILABLE with
// Retry-After when the error names one) and its safe message; a not-found company or an
// unverified one is INVOICE_NOT_FOUND for an invoice route. Anything else
// is a logged 500.
func (h *handler) useCaseError(w http.ResponseWriter, r *http.Request, err error) {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		h.internal(w, r, err)
		return
	}
	status, code, msg := ge.HTTPStatus(), strings.ToUpper(ge.Code), ge.Msg
	switch {
	case errors.Is(ge, gateway.ErrExportTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(ge, gateway.ErrExportFormat):
		status = http.StatusBadRequest
	case ge.Kind == gateway.KindNotFound:
		code, msg = "INVOICE_NOT_FOUND", gateway.ErrInvoiceNotFound.Msg
	case ge.Kind == gateway.KindUnavailable:
		if ge.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ge.RetryAfter))
		}
		if ge.Cause != nil {
			h.Logger.WarnContext(r.Context(), "api: unavailable", slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
				slog.String("path", r.URL.Path), slog.String("error", ge.Cause.Error()))
		}
	}
	writeError(w, status, code, msg)
}
