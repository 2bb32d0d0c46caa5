package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestPartnerCIFs: the other parties of a user's invoices, most frequent
// first, "RO" folded, without the user's own companies, foreign or broken
// numbers, or another user's invoices.
func TestPartnerCIFs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "acct@example.ro", "h", false, store.UserApproved)
		require.NoError(t, err)
		other, err := st.CreateUser(ctx, "other@example.ro", "h", false, store.UserApproved)
		require.NoError(t, err)
		beta, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA TRADING SRL", u.ID)
		require.NoError(t, err)
		alfa, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", u.ID)
		require.NoError(t, err)
		theirs, err := st.CreateCompanyWithOwner(ctx, "31415920", "GAMMA", other.ID)
		require.NoError(t, err)
		add := func(c *store.Company, id, typ, emitent, beneficiar, issuer, receiver string) {
			t.Helper()
			ok, err := st.InsertInvoice(ctx, &store.Invoice{CompanyID: c.ID, ANAFID: id, MessageType: typ, CIFEmitent: emitent,
				CIFBeneficiar: beneficiar, IssuerName: issuer, ReceiverName: receiver, Currency: "RON", TotalAmount: "1"})
			require.NoError(t, err)
			require.True(t, ok)
		}
		add(beta, "1", store.TypeReceived, "RO18547290", "98765438", "DELTA LOGISTICĂ SRL", "BETA")
		add(beta, "2", store.TypeReceived, "18547290", "98765438", "DELTA LOGISTICĂ SRL", "BETA")
		add(beta, "3", store.TypeSent, "98765438", "27182818", "BETA", "EPSILON ÎNVĂŢARE SRL")
		add(beta, "4", store.TypeReceived, "12345674", "98765438", "ALFA SOFT SRL", "BETA") // the user's own company
		add(beta, "5", store.TypeReceived, "DE123456789", "98765438", "GMBH", "BETA")       // foreign VAT number
		add(alfa, "6", store.TypeSent, "RO12345674", "RO27182818", "ALFA", "EPSILON ÎNVĂŢARE SRL")
		add(theirs, "7", store.TypeReceived, "44556670", "31415920", "ZETA", "GAMMA") // another user's
		add(beta, "8", store.TypeReceived, "RO44556670", "98765438", "ZETA", "BETA")  // synced before the window
		_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET synced_at = $1 WHERE anaf_id = '8'`, st.TimeValue(time.Now().Add(-store.PartnerWindow-time.Hour)))
		require.NoError(t, err)

		got, err := st.PartnerCIFs(ctx, u.ID, 10)
		require.NoError(t, err)
		require.Equal(t, []store.PartnerCIF{
			{CIF: "18547290", Name: "DELTA LOGISTICĂ SRL", Invoices: 2},
			{CIF: "27182818", Name: "EPSILON ÎNVĂŢARE SRL", Invoices: 2},
		}, got)
		got, err = st.PartnerCIFs(ctx, u.ID, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
	})
}
