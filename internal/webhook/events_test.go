package webhook_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

func typesOf(evs []store.Event) []string {
	var out []string
	for i := len(evs) - 1; i >= 0; i-- { // oldest first
		out = append(out, evs[i].Type)
	}
	return out
}

// TestEventsRecorded: the store records each event with the data it
// announces (a failed run, an upload's verdict, a connection needing its
// user, an expiring one once), and the dispatch gives sync.failed to an
// endpoint once, when the streak reaches its threshold.
func TestEventsRecorded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "o@example.ro", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SRL", u.ID)
		require.NoError(t, err)
		spec, err := secretbox.Generate("t")
		require.NoError(t, err)
		keys, err := secretbox.Parse(spec)
		require.NoError(t, err)
		enc, err := keys.Encrypt([]byte(webhook.NewSecret()))
		require.NoError(t, err)
		ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: "https://203.0.113.9/h", EventTypes: []string{notify.SyncFailed, notify.UploadNOK},
			SyncFailedThreshold: 3, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
		// Another endpoint with its own threshold (configurable per endpoint).
		ep4 := &store.WebhookEndpoint{CompanyID: c.ID, URL: "https://203.0.113.10/h", EventTypes: []string{notify.SyncFailed},
			SyncFailedThreshold: 4, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep4))
		d := &webhook.Deliverer{Store: st, Keys: keys, Logger: slog.New(slog.DiscardHandler), BaseURL: "https://gw"}

		// Four failed runs, then a good one, then a failed one.
		for _, status := range []string{store.SyncFailed, store.SyncFailed, store.SyncFailed, store.SyncFailed, store.SyncOK, store.SyncFailed} {
			run, err := st.StartSyncRun(ctx, c.ID)
			require.NoError(t, err)
			run.Status, run.Error = status, "ANAF unreachable"
			require.NoError(t, st.FinishSyncRun(ctx, run))
		}
		evs, err := st.CompanyEvents(ctx, c.ID, 100)
		require.NoError(t, err)
		var counts []int
		for i := len(evs) - 1; i >= 0; i-- {
			require.Equal(t, notify.SyncFailed, evs[i].Type)
			var det struct {
				N int `json:"consecutive_failures"`
			}
			require.NoError(t, json.Unmarshal(evs[i].Detail, &det))
			counts = append(counts, det.N)
			require.NoError(t, d.Dispatch(ctx, evs[i].ID))
		}
		require.Equal(t, []int{1, 2, 3, 4, 1}, counts)
		dls, err := st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 1, "sync.failed once, at the threshold")
		dls4, err := st.WebhookDeliveries(ctx, ep4.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls4, 1, "sync.failed once, at this endpoint's threshold of 4")
		for _, pair := range []struct {
			dl   store.WebhookDelivery
			want int
		}{{dls[0], 3}, {dls4[0], 4}} {
			ev, err := st.EventByID(ctx, pair.dl.EventID)
			require.NoError(t, err)
			var det struct {
				N int `json:"consecutive_failures"`
			}
			require.NoError(t, json.Unmarshal(ev.Detail, &det))
			require.Equal(t, pair.want, det.N)
		}

		// Uploads: invalid (nok), then one accepted.
		bad := &store.Upload{CompanyID: c.ID, State: store.UploadInvalid, SellerCIF: c.CIF, InvoiceNumber: "A1", IssueDate: "2026-01-15",
			Document: []byte("<x/>"), DocSHA256: make([]byte, 32)}
		require.NoError(t, st.CreateUpload(ctx, bad))
		good := &store.Upload{CompanyID: c.ID, State: store.UploadSending, SellerCIF: c.CIF, InvoiceNumber: "A2", IssueDate: "2026-01-15",
			Document: []byte("<x/>"), DocSHA256: make([]byte, 32)}
		require.NoError(t, st.CreateUpload(ctx, good))
		require.NoError(t, st.UpdateUpload(ctx, good.ID, store.UploadUpdate{State: store.UploadPending}))
		require.NoError(t, st.UpdateUpload(ctx, good.ID, store.UploadUpdate{State: store.UploadOK}))
		// A refused state change (wrong from-state) records nothing.
		require.ErrorIs(t, st.UpdateUpload(ctx, good.ID, store.UploadUpdate{State: store.UploadNOK}, store.UploadPending), store.ErrNotFound)

		// The connection: reconnect_needed once (not again while it stays so).
		tok := &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte{1}, RefreshTokenEnc: []byte{1}, ExpiresAt: time.Now().Add(time.Hour),
			Status: store.ANAFConnected}
		require.NoError(t, st.SaveANAFToken(ctx, tok))
		tok.Status = store.ANAFReconnectNeeded
		require.NoError(t, st.SaveANAFToken(ctx, tok))
		require.NoError(t, st.SaveANAFToken(ctx, tok))

		// Expiring: once per (expiry, days).
		exp := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
		for range 2 {
			_, err := st.RecordConnectionExpiring(ctx, u.ID, exp, 14)
			require.NoError(t, err)
		}
		n, err := st.RecordConnectionExpiring(ctx, u.ID, exp, 3)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		evs, err = st.CompanyEvents(ctx, c.ID, 100)
		require.NoError(t, err)
		require.Equal(t, []string{
			notify.SyncFailed, notify.SyncFailed, notify.SyncFailed, notify.SyncFailed, notify.SyncFailed,
			notify.UploadNOK, notify.UploadOK, notify.ConnectionNeedsAttention, notify.ConnectionExpiring, notify.ConnectionExpiring,
		}, typesOf(evs))

		// The upload.nok event's data names the upload, with its link.
		nokEv := evs[4]
		require.Equal(t, notify.UploadNOK, nokEv.Type)
		require.NoError(t, d.Dispatch(ctx, nokEv.ID))
		got, err := st.EventByID(ctx, nokEv.ID)
		require.NoError(t, err)
		require.NotNil(t, got.DispatchedAt)
		require.JSONEq(t, `{"id":`+itoa(bad.ID)+`,"url":"https://gw/api/v1/uploads/`+itoa(bad.ID)+`"}`, string(got.Data))
	})
}

// TestEventRollsBackWithItsData: an event recorded in a transaction that
// fails is gone with it; and a queue that refuses the dispatch job fails
// the transaction (the data is not stored without its event).
func TestEventRollsBackWithItsData(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "12345674", "ALFA SRL")
	require.NoError(t, err)
	boom := errors.New("boom")
	err = st.WithTx(ctx, func(tx *store.Store) error {
		if _, err := tx.RecordEvent(ctx, &store.Event{CompanyID: c.ID, Type: notify.UploadOK, SubjectID: 1}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	st.SetEventQueue(refusingQueue{})
	t.Cleanup(func() { st.SetEventQueue(nil) })
	u := &store.Upload{CompanyID: c.ID, State: store.UploadInvalid, SellerCIF: c.CIF, InvoiceNumber: "A1", IssueDate: "2026-01-15",
		Document: []byte("<x/>"), DocSHA256: make([]byte, 32)}
	require.Error(t, st.CreateUpload(ctx, u))
	evs, err := st.CompanyEvents(ctx, c.ID, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
	ups, _, err := st.Uploads(ctx, store.UploadFilter{CompanyID: c.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, ups, "the upload rolled back with its event")
}

type refusingQueue struct{}

func (refusingQueue) EventRecorded(context.Context, *sql.Tx, int64) error {
	return errors.New("queue down")
}
func (refusingQueue) DeliveryQueued(context.Context, *sql.Tx, int64) error {
	return errors.New("queue down")
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

// countingSubscriber counts the events it is told of.
type countingSubscriber struct{ n map[string]int }

func (c *countingSubscriber) Notify(_ context.Context, ev notify.Event) error {
	c.n[ev.ID]++
	return nil
}

// TestDispatchMany: a sync batch's events dispatched by one job get what
// Dispatch gives each (data, a delivery per wanting endpoint, the
// subscribers told, marked dispatched); run again, no second delivery.
func TestDispatchMany(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "o@example.ro", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SRL", u.ID)
		require.NoError(t, err)
		spec, err := secretbox.Generate("t")
		require.NoError(t, err)
		keys, err := secretbox.Parse(spec)
		require.NoError(t, err)
		enc, err := keys.Encrypt([]byte(webhook.NewSecret()))
		require.NoError(t, err)
		ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: "https://203.0.113.9/h", EventTypes: []string{notify.UploadNOK}, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
		subs := &countingSubscriber{n: map[string]int{}}
		d := &webhook.Deliverer{Store: st, Keys: keys, Logger: slog.New(slog.DiscardHandler), BaseURL: "https://gw",
			Subscribers: []notify.Subscriber{subs}}
		var ids []int64
		for _, typ := range []string{notify.UploadNOK, notify.UploadOK, notify.UploadNOK} {
			ev := &store.Event{CompanyID: c.ID, Type: typ}
			_, err := st.RecordEvent(ctx, ev)
			require.NoError(t, err)
			ids = append(ids, ev.ID)
		}
		require.NoError(t, d.DispatchMany(ctx, append(ids, 1<<40))) // an unknown id is skipped
		require.NoError(t, d.DispatchMany(ctx, ids))
		dls, err := st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 2, "one delivery per upload.nok, not again")
		for _, id := range ids {
			ev, err := st.EventByID(ctx, id)
			require.NoError(t, err)
			require.NotNil(t, ev.DispatchedAt)
			require.NotEmpty(t, ev.Data)
			require.Equal(t, 1, subs.n[ev.PublicID], "told once: the second run skips dispatched events")
		}
	})
}

// TestDispatchManyInvoicesData: a batch's invoice events get their data
// from InvoicesData, one call per company (issue 16); an invoice it has
// no data for goes through Data as in Dispatch; an event that has data
// keeps it (the first data written wins).
func TestDispatchManyInvoicesData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a, err := st.CreateCompany(ctx, "12345674", "ALFA SRL")
		require.NoError(t, err)
		b, err := st.CreateCompany(ctx, "98765438", "BETA SRL")
		require.NoError(t, err)
		var invs []*store.Invoice
		for i, cid := range []int64{a.ID, a.ID, a.ID, b.ID} {
			inv := &store.Invoice{CompanyID: cid, ANAFID: "300000000" + string(rune('1'+i)), MessageType: store.TypeReceived,
				ANAFCreatedAt: time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC), InvoiceNumber: "N-" + string(rune('1'+i)),
				IssueDate: "2026-01-15", SupplierCIF: "RO1", TotalAmount: "1.00", ZIP: []byte("zip")}
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			invs = append(invs, inv)
		}
		var ids []int64
		for _, c := range []int64{a.ID, b.ID} {
			evs, err := st.CompanyEvents(ctx, c, 10)
			require.NoError(t, err)
			for _, ev := range evs {
				ids = append(ids, ev.ID)
			}
		}
		require.Len(t, ids, 4)
		preset := ids[0]
		require.NoError(t, st.SetEventData(ctx, preset, json.RawMessage(`{"preset":true}`)))
		calls := 0
		d := &webhook.Deliverer{Store: st, Logger: slog.New(slog.DiscardHandler), BaseURL: "https://gw",
			Data: func(_ context.Context, ev *store.Event, _ *store.Company) (json.RawMessage, error) {
				return json.RawMessage(`{"one":` + strconv.FormatInt(ev.SubjectID, 10) + `}`), nil
			},
			InvoicesData: func(_ context.Context, companyID int64, ids []int64) (map[int64]json.RawMessage, error) {
				calls++
				out := map[int64]json.RawMessage{}
				for _, id := range ids {
					if id != invs[1].ID { // "gone"
						out[id] = json.RawMessage(`{"many":` + strconv.FormatInt(id, 10) + `}`)
					}
				}
				return out, nil
			}}
		require.NoError(t, d.DispatchMany(ctx, ids))
		require.Equal(t, 2, calls, "one call per company")
		for _, id := range ids {
			ev, err := st.EventByID(ctx, id)
			require.NoError(t, err)
			require.NotNil(t, ev.DispatchedAt)
			sub := strconv.FormatInt(ev.SubjectID, 10)
			switch {
			case id == preset:
				require.JSONEq(t, `{"preset":true}`, string(ev.Data))
			case ev.SubjectID == invs[1].ID:
				require.JSONEq(t, `{"one":`+sub+`}`, string(ev.Data))
			default:
				require.JSONEq(t, `{"many":`+sub+`}`, string(ev.Data))
			}
		}
	})
}
