// Package anaf is a client for ANAF's RO e-Factura API (OAuth2 at
// logincert.anaf.ro, REST at api.anaf.ro/{test,prod}/FCTEL/rest).
// Protocol reference: shared/anaf/API.md.
package anaf

import (
	"context"
	"net/http"
	"time"
)

// Environment selects the /test/ or /prod/ API path segment.
type Environment string

// Environments.
const (
	EnvTest Environment = "test"
	EnvProd Environment = "prod"
)

// Config configures a Client.
type Config struct {
	BaseURL      string      // scheme and host, default https://api.anaf.ro
	OAuthURL     string      // scheme and host, default https://logincert.anaf.ro
	Env          Environment // default EnvProd
	ClientID     string
	ClientSecret string
	RedirectURI  string
	HTTPClient   *http.Client  // default: a client with Timeout
	Timeout      time.Duration // per call, default 60s
}

// Token is an OAuth grant. Times are UTC.
type Token struct {
	AccessToken      string
	RefreshToken     string
	ExpiresAt        time.Time  // from the JWT exp claim, else expires_in
	RefreshExpiresAt *time.Time // from the refresh JWT exp claim when present
}

// Message is one element of a message list (all values are ANAF's strings).
type Message struct {
	ID           string    `json:"id"`            // download id (id_descarcare)
	UploadID     string    `json:"id_solicitare"` // id_incarcare
	CIF          string    `json:"cif"`
	CreatedRaw   string    `json:"data_creare"` // yyyyMMddHHmm, Europe/Bucharest
	Type         string    `json:"tip"`
	Details      string    `json:"detalii"`
	CreatedAt    time.Time `json:"-"` // CreatedRaw parsed in Europe/Bucharest, as UTC
	CIFEmitent    string   `json:"-"` // parsed from Details ("" when absent)
	CIFBeneficiar string   `json:"-"`
}

// UploadStatus is the answer of stareMesaj.
type UploadStatus struct {
	State      string // "ok" | "nok" | "in prelucrare" | "XML cu erori nepreluat de sistem"
	DownloadID string // id_descarcare, when ok or nok
}

// Client calls ANAF. Safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client with defaults filled in.
func New(cfg Config) *Client { panic("TODO") }

// AuthCodeURL returns the authorize URL (response_type=code,
// token_content_type=jwt, state).
func (c *Client) AuthCodeURL(state string) string { panic("TODO") }

// Exchange trades an authorization code for a token (POST /anaf-oauth2/v1/token).
func (c *Client) Exchange(ctx context.Context, code string) (*Token, error) { panic("TODO") }

// Refresh renews a token with its refresh token; the answer carries a new pair.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) { panic("TODO") }

// ListMessagesPage calls listaMesajePaginatieFactura for one page (1-based).
// "No messages" is an empty result, not an error. Returns the messages and the total pages.
func (c *Client) ListMessagesPage(ctx context.Context, accessToken, cif string, start, end time.Time, page int) (msgs []Message, totalPages int, err error) {
	panic("TODO")
}

// ListMessages walks every page of listaMesajePaginatieFactura over [start, end]
// and returns the messages deduplicated by id.
func (c *Client) ListMessages(ctx context.Context, accessToken, cif string, start, end time.Time) ([]Message, error) {
	panic("TODO")
}

// Download fetches a message's ZIP (descarcare?id=).
func (c *Client) Download(ctx context.Context, accessToken, id string) ([]byte, error) { panic("TODO") }

// Status calls stareMesaj?id_incarcare=.
func (c *Client) Status(ctx context.Context, accessToken, uploadID string) (*UploadStatus, error) {
	panic("TODO")
}

// Upload posts a UBL document (standard UBL or CN) for cif; returns index_incarcare.
func (c *Client) Upload(ctx context.Context, accessToken, standard, cif string, xml []byte) (string, error) {
	panic("TODO")
}
