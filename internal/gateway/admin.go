package gateway

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/efactura-gateway/efactura/internal/store"
)

// Refusals of the ANAF application settings.
var (
	ErrClientIDRequired     = &Error{Kind: KindInvalid, Code: "client_id_required", Field: "client_id", Msg: "the client id is required"}
	ErrClientIDLong         = &Error{Kind: KindInvalid, Code: "client_id_long", Field: "client_id", Msg: "the client id has at most 200 characters"}
	ErrRedirectURI          = &Error{Kind: KindInvalid, Code: "redirect_uri", Field: "redirect_uri", Msg: "the redirect URI must be an http(s) URL of at most 500 characters"}
	ErrClientSecretRequired = &Error{Kind: KindInvalid, Code: "client_secret_required", Field: "client_secret", Msg: "the client secret is required (none is stored)"}
)

// ANAFApp returns the ANAF OAuth application (nil when none is
// configured; administrators only). Its secret stays sealed.
func (s *Service) ANAFApp(ctx context.Context, a Actor) (*store.ANAFApp, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	app, err := s.Store.ANAFApp(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return app, err
}

// SaveANAFApp stores the ANAF OAuth application (administrators only);
// an empty secret keeps the stored one (required when none is stored).
// The secret is encrypted with the keyring and never shown again.
func (s *Service) SaveANAFApp(ctx context.Context, a Actor, clientID, redirectURI, secret string) error {
	old, err := s.ANAFApp(ctx, a)
	if err != nil {
		return err
	}
	clientID, redirectURI, secret = strings.TrimSpace(clientID), strings.TrimSpace(redirectURI), strings.TrimSpace(secret)
	var bad FieldErrors
	if clientID == "" {
		bad = append(bad, ErrClientIDRequired)
	} else if len(clientID) > 200 {
		bad = append(bad, ErrClientIDLong)
	}
	if redirectURI != "" {
		u, err := url.Parse(redirectURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(redirectURI) > 500 {
			bad = append(bad, ErrRedirectURI)
		}
	}
	if secret == "" && (old == nil || len(old.ClientSecretEnc) == 0) {
		bad = append(bad, ErrClientSecretRequired)
	}
	if len(bad) > 0 {
		return bad
	}
	app := &store.ANAFApp{ClientID: clientID, RedirectURI: redirectURI}
	if secret != "" {
		if s.Secrets == nil {
			return errors.New("gateway: no keyring to encrypt the ANAF client secret")
		}
		if app.ClientSecretEnc, err = s.Secrets.Encrypt([]byte(secret)); err != nil {
			return err
		}
	} else {
		app.ClientSecretEnc = old.ClientSecretEnc
	}
	if err := s.Store.SetANAFApp(ctx, app); err != nil {
		return err
	}
	details := "client_id=" + clientID
	if secret != "" {
		details += ", secret replaced"
	}
	s.auditTarget(ctx, a, store.ActionANAFAppUpdate, "anaf_app", details)
	return nil
}

// AuditEvents lists audit events by filter (administrators only).
func (s *Service) AuditEvents(ctx context.Context, a Actor, f store.AuditFilter) ([]store.AuditEntry, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	return s.Store.AuditEventsFiltered(ctx, f)
}

// SystemFigures are the counts the system page shows (administrators only).
func (s *Service) SystemFigures(ctx context.Context, a Actor) (*store.SystemFigures, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	return s.Store.SystemFigures(ctx)
}
