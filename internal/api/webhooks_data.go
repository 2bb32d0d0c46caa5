package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// EventData builds the data of a webhook event's envelope (issue 19): the
// invoice or the upload in this API's own JSON shape, with "url", its
// address in the API. nil for other event types (the deliverer then
// writes its own small data).
func EventData(gw *gateway.Service, baseURL string) func(ctx context.Context, typ string, companyID, subjectID int64) (json.RawMessage, error) {
	h := &handler{Deps: Deps{Gateway: gw, BaseURL: baseURL}}
	return func(ctx context.Context, typ string, companyID, subjectID int64) (json.RawMessage, error) {
		inv, up, err := gw.EventSubject(ctx, companyID, typ, subjectID)
		if err != nil {
			return nil, err
		}
		switch {
		case inv != nil:
			return json.Marshal(struct {
				invoiceJSON
				URL string `json:"url"`
			}{h.toJSON(inv), fmt.Sprintf("%s/api/v1/invoices/%d", baseURL, inv.ID)})
		case up != nil:
			return json.Marshal(struct {
				uploadJSON
				URL string `json:"url"`
			}{uploadOut(up), fmt.Sprintf("%s/api/v1/uploads/%d", baseURL, up.ID)})
		}
		return nil, nil
	}
}

// EventInvoicesData is EventData for several invoice events of one
// company at once (a sync batch's dispatch): the data of each invoice
// among ids, by id; a gone invoice has none (EventData then tells).
func EventInvoicesData(gw *gateway.Service, baseURL string) func(ctx context.Context, companyID int64, ids []int64) (map[int64]json.RawMessage, error) {
	h := &handler{Deps: Deps{Gateway: gw, BaseURL: baseURL}}
	return func(ctx context.Context, companyID int64, ids []int64) (map[int64]json.RawMessage, error) {
		invs, err := gw.EventInvoices(ctx, companyID, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]json.RawMessage, len(invs))
		for id, inv := range invs {
			b, err := json.Marshal(struct {
				invoiceJSON
				URL string `json:"url"`
			}{h.toJSON(inv), fmt.Sprintf("%s/api/v1/invoices/%d", baseURL, inv.ID)})
			if err != nil {
				return nil, err
			}
			out[id] = b
		}
		return out, nil
	}
}
