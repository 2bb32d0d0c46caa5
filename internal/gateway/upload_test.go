package gateway_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

// The refusals of UploadInvoice before anything is sent (no job runner:
// the end-to-end journey is internal/jobs' TestUploadJourney).
func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, err := b.st.SetCompanyVerified(ctx, b.company.ID, b.own.ID)
	require.NoError(t, err)
	var valid, invalid []byte
	for _, f := range invoicegen.Generate(20, 99) {
		switch {
		case valid == nil && strings.Contains(f.Name, "invoice-ALF-"):
			valid = f.Data
		case invalid == nil && strings.Contains(f.Name, "-ZTA-"):
			invalid = f.Data
		}
	}
	own := gateway.UserPrincipal(actor(b.own))
	req := func(doc []byte) gateway.UploadRequest {
		return gateway.UploadRequest{CompanyID: b.company.ID, XML: doc}
	}

	_, err = b.gw.UploadInvoice(ctx, own, req(nil))
	require.ErrorIs(t, err, gateway.ErrUploadEmpty)
	_, err = b.gw.UploadInvoice(ctx, own, req(make([]byte, 10<<20+1)))
	require.ErrorIs(t, err, gateway.ErrUploadTooLarge)
	_, err = b.gw.UploadInvoice(ctx, own, gateway.UploadRequest{CompanyID: b.company.ID, XML: valid,
		Options: gateway.UploadOptions{B2C: true, Extern: true}})
	require.ErrorIs(t, err, gateway.ErrUploadOptions)
	_, err = b.gw.UploadInvoice(ctx, own, req([]byte(`<CrossIndustryInvoice/>`)))
	require.ErrorIs(t, err, gateway.ErrUnsupportedStandard)
	_, err = b.gw.UploadInvoice(ctx, own, req(invalid))
	require.ErrorIs(t, err, gateway.ErrUploadWrongCIF, "ZETA's invoice is not ALFA's")
	_, err = b.gw.UploadInvoice(ctx, own, req(valid))
	require.ErrorIs(t, err, gateway.ErrUploadUnavailable, "no job runner")

	// Who may send: a write key of the company, its members; not a read
	// key, another company's key, an admin impersonating, a stranger.
	_, err = b.gw.UploadInvoice(ctx, gateway.KeyOf(b.company.ID, gateway.ScopeRead, 1), req(valid))
	require.ErrorIs(t, err, gateway.ErrInsufficientScope)
	_, err = b.gw.UploadInvoice(ctx, gateway.KeyOf(b.company.ID+1, gateway.ScopeWrite, 1), req(valid))
	require.ErrorIs(t, err, gateway.ErrNotFound)
	a := actor(b.own)
	a.ImpersonatorID, a.ImpersonatorEmail = b.admin.ID, b.admin.Email
	_, err = b.gw.UploadInvoice(ctx, gateway.UserPrincipal(a), req(valid))
	require.ErrorIs(t, err, gateway.ErrImpersonating)
	_, err = b.gw.UploadInvoice(ctx, gateway.UserPrincipal(actor(b.admin)), req(valid))
	require.ErrorIs(t, err, gateway.ErrNotFound)
	_, err = b.gw.UploadInvoice(ctx, gateway.UserPrincipal(gateway.Actor{}), req(valid))
	require.ErrorIs(t, err, gateway.ErrNotFound, "nobody")
	_, err = b.gw.UploadInvoice(ctx, gateway.UserPrincipal(gateway.Actor{CLI: true}), req(valid))
	require.ErrorIs(t, err, gateway.ErrUploadUnavailable, "the operator at the command line passes the tenant check")

	// An invalid document of the company is stored (never sent) with its
	// report, and only the company's principals see it.
	bad := strings.Replace(string(valid), "<cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>",
		"<cbc:DocumentCurrencyCode>XXX</cbc:DocumentCurrencyCode>", 1)
	require.NotEqual(t, string(valid), bad)
	u, err := b.gw.UploadInvoice(ctx, gateway.UserPrincipal(actor(b.mem)), req([]byte(bad)))
	require.NoError(t, err)
	require.Equal(t, gateway.UploadInvalid, u.State)
	require.NotEmpty(t, u.Errors)
	require.NotNil(t, u.Report)
	require.False(t, u.Report.Valid)
	require.Equal(t, "12345674", u.CompanyCIF)
	require.NotEmpty(t, u.Deadline)
	got, err := b.gw.GetUpload(ctx, gateway.KeyOf(b.company.ID, gateway.ScopeRead, 1), u.ID)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	_, err = b.gw.GetUpload(ctx, gateway.UserPrincipal(actor(b.admin)), u.ID)
	require.ErrorIs(t, err, gateway.ErrUploadNotFound)
	list, err := b.gw.Uploads(ctx, own, b.company.ID, gateway.UploadFilter{State: gateway.UploadInvalid})
	require.NoError(t, err)
	require.Equal(t, 1, list.Total)
	_, err = b.gw.Uploads(ctx, own, b.company.ID, gateway.UploadFilter{State: "bogus"})
	require.Error(t, err)
	require.Equal(t, "upload.create", b.lastAudit(t).Action)
}
