package store

import (
	"errors"
	"time"
)

// Sentinel errors, the same on every backend.
var (
	// ErrNotFound: no row matched.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a unique constraint refused the row.
	ErrAlreadyExists = errors.New("store: already exists")
)

// User statuses.
const (
	UserPending  = "pending"
	UserApproved = "approved"
	UserRejected = "rejected"
)

// User is an account of the web application.
type User struct {
	ID           int64
	Email        string // lower-cased
	PasswordHash string // argon2id PHC string
	IsAdmin      bool
	Status       string // UserPending | UserApproved | UserRejected
	Lang         string // "ro" | "en" | ""
	CreatedAt    time.Time
}

// Membership roles.
const (
	RoleOwner  = "owner"
	RoleMember = "member"
)

// Company is one taxpayer, once per CIF.
type Company struct {
	ID                  int64
	CIF                 string // digits only
	Name                string
	AutoSync            bool
	SyncIntervalMinutes int
	LastSyncedUntil     *time.Time // end of the last successfully synced window (UTC)
	CreatedAt           time.Time
	Status              string     // CompanyVerified | CompanyUnverified
	VerifiedAt          *time.Time // when ANAF first confirmed a consenting member's rights on the CIF
	Role                string     // the viewing user's role when loaded through CompaniesForUser, else ""
	Consent             bool       // the viewing user's consent to lend their ANAF connection (CompaniesForUser)
	Owners              int        // how many owners it has (CompaniesForUser): the last one cannot leave
}

// Company statuses: a company shows nothing from ANAF until it is verified.
const (
	CompanyVerified   = "verified"
	CompanyUnverified = "unverified"
)

// Verified reports whether ANAF confirmed the company's CIF for a consenting member.
func (c *Company) Verified() bool { return c.Status == CompanyVerified }

// ANAFApp is the ANAF OAuth application (one per installation).
type ANAFApp struct {
	ClientID        string
	ClientSecretEnc []byte // secretbox ciphertext
	RedirectURI     string
	UpdatedAt       time.Time
}

// ANAFToken is a user's ANAF OAuth grant; tokens are secretbox ciphertexts.
type ANAFToken struct {
	UserID           int64
	AccessTokenEnc   []byte
	RefreshTokenEnc  []byte
	ExpiresAt        time.Time // access token expiry (UTC)
	RefreshExpiresAt *time.Time
	Status           string // ANAFConnected | ANAFNeedsAttention | ANAFReconnectNeeded | ANAFKeyMissing
	LastRefreshAt    *time.Time
	UpdatedAt        time.Time
}

// The states of an ANAF connection, named once for the whole product
// (PRODUCT.md §5; gateway re-exports them for the doors). A token row's
// Status is one of the stored ones; ANAFRefreshFailed is a connected row
// whose access token expired (the refresh ahead of expiry did not get
// through: ANAF unreachable, retried), ANAFDisconnected is no row.
const (
	// ANAFConnected: the token works (or is refreshed before it is used).
	ANAFConnected = "connected"
	// ANAFRefreshFailed: connected, but the access token expired because
	// ANAF could not be reached to refresh it; retried, no user action yet.
	ANAFRefreshFailed = "refresh_failed"
	// ANAFNeedsAttention: ANAF kept refusing the access token (401
	// invalid_token) although it had not expired, even right after a
	// refresh; the syncs stop using it until the user connects again.
	ANAFNeedsAttention = "needs_attention"
	// ANAFReconnectNeeded: ANAF refused the refresh (invalid_grant): the
	// user must connect again with the certificate.
	ANAFReconnectNeeded = "reconnect_needed"
	// ANAFKeyMissing: the stored token cannot be decrypted with the
	// configured keys; restoring the key makes it usable again.
	ANAFKeyMissing = "key_missing"
	// ANAFDisconnected: no ANAF connection (never connected, or removed).
	ANAFDisconnected = "disconnected"
)

// ANAFConnStates lists the connection states in the product's order.
var ANAFConnStates = []string{ANAFConnected, ANAFRefreshFailed, ANAFNeedsAttention, ANAFReconnectNeeded, ANAFKeyMissing, ANAFDisconnected}

// API key scopes.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// APIKey is a company-scoped API key; only its hash is stored.
type APIKey struct {
	ID         int64
	CompanyID  int64
	UserID     int64 // creator; 0 when made from the CLI
	Name       string
	Prefix     string // first characters of the key, shown to identify it
	Hash       []byte // SHA-256 of the whole key
	Scope      string // ScopeRead | ScopeWrite
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// ANAF message types (tip), ANAF's own words.
const (
	TypeReceived = "FACTURA PRIMITA"
	TypeSent     = "FACTURA TRIMISA"
	TypeErrors   = "ERORI FACTURA"
)

// Invoice is one archived ANAF message of a company, with its parsed terms.
type Invoice struct {
	ID            int64
	CompanyID     int64
	ANAFID        string // ANAF message id (id_descarcare), digits
	UploadID      string // id_solicitare / id_incarcare
	MessageType   string // tip: TypeReceived | TypeSent | TypeErrors | "MESAJ CUMPARATOR ..."
	Details       string // ANAF's detalii text
	CIFEmitent    string // from detalii, else the parsed seller
	CIFBeneficiar string
	ANAFCreatedAt time.Time // data_creare, converted to UTC

	// Parsed terms; empty when the document could not be parsed.
	DocumentType  string
	InvoiceNumber string // BT-1
	IssueDate     string // BT-2 YYYY-MM-DD
	DueDate       string // BT-9
	Currency      string // BT-5
	IssuerName    string // BT-27
	ReceiverName  string // BT-44
	SupplierCIF   string // seller's CIF digits or id as written
	TotalAmount   string // BT-112, as written
	VATAmount     string // BT-110, as written
	ParsedJSON    []byte // invoice.Invoice as JSON; nil when parse failed
	ParseError    string // why parsing failed; "" when it did not

	ZIP       []byte // the original ZIP, byte for byte
	ZIPSHA256 []byte
	SyncedAt  time.Time

	// DuplicateOf is the id of the first row of the same company and
	// message type with the same invoice identity (InvoiceIdentity) and
	// the same total under another ANAF message id (ANAF re-published
	// it); 0 for none. ConflictOf is that first row's id when the total
	// differs (a conflict, not a duplicate); 0 for none. Set by
	// InsertInvoice (migration 00010).
	DuplicateOf int64
	ConflictOf  int64
	// MarkedDuplicates and MarkedConflicts, set by InsertInvoice, count the
	// rows of the identity it newly marked duplicate_of or conflict_of
	// (this one, or an earlier-stored one when this one is the original).
	MarkedDuplicates int
	MarkedConflicts  int
}

// Parse statuses of an archived message (ParseStatus).
const (
	ParseOK         = "ok"          // the invoice was read
	ParseUnreadable = "unreadable"  // the ZIP or its document could not be read (ParseError says why)
	ParseANAFErrors = "anaf_errors" // ANAF's error list (ERORI FACTURA), read
)

// ParseStatus is how the archive read the message: ParseOK,
// ParseUnreadable (ParseError set) or ParseANAFErrors.
func (inv *Invoice) ParseStatus() string {
	switch {
	case inv.ParseError != "":
		return ParseUnreadable
	case inv.DocumentType == "ANAFErrors" || inv.MessageType == TypeErrors: // invoice.DocumentTypeANAFErrors
		return ParseANAFErrors
	}
	return ParseOK
}

// InvoiceFilter selects invoices of one company for listing.
type InvoiceFilter struct {
	CompanyID   int64
	MessageType string // "" for all
	SupplierCIF string
	DateFrom    string // YYYY-MM-DD, inclusive, on the issue date
	DateTo      string
	Query       string // free text over number and party names
	// ExcludeDuplicates leaves out rows with DuplicateOf set (figures and
	// exports, unless the caller asks for duplicates).
	ExcludeDuplicates bool
	// RiskUnchecked keeps only invoices with a risk flag nobody marked
	// checked (risk.go).
	RiskUnchecked bool
	SortBy        string // invoice_date | total_amount | synced_at | anaf_id
	SortDesc      bool
	Limit         int
	Offset        int
	// Brief loads only what the API's list shows (invoiceBriefColumns):
	// UploadID, Details, ANAFCreatedAt and ZIPSHA256 stay zero.
	Brief bool
}

// SyncRun records one synchronisation of a company.
type SyncRun struct {
	ID         int64
	CompanyID  int64
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string // queued | running | ok | partial | failed
	Found      int
	New        int
	Failed     int
	Error      string

	// Resumable progress (migration 00003). A run is split into short jobs;
	// each continues from NextPage of the stored window.
	WindowStart *time.Time // listaMesajePaginatieFactura startTime (UTC); nil until the first job sets it
	WindowEnd   *time.Time // endTime (UTC)
	NextPage    int        // next page to process, 1-based
	Pages       int        // pages processed
	TotalPages  int        // largest total ANAF announced; 0 until known
	AtRisk      int        // messages seen but not archived whose data_creare is past AtRiskAge (ANAF deletes them at 60 days)
	Warning     string     // readable sentence about AtRisk; "" when none
	ResumeAfter *time.Time // the run waits (ANAF quota) until then; nil: resume at once
	UpdatedAt   *time.Time // last recorded progress

	// What the run met besides archiving (migration 00010).
	Kind          string     // SyncKindIncremental | SyncKindRelist
	Expired       int        // messages ANAF refused as past its 60-day retention (recorded expired, never requested again)
	ExpiredText   string     // ANAF's text of such a refusal
	Deferred      int        // messages deferred to ANAF's daily quota reset
	DeferredUntil *time.Time // the latest reset they wait for
	Foreign       int        // messages ANAF listed for another CIF (dropped)
	ForeignCIFs   string     // those CIFs, comma-separated, sorted
	Duplicates    int        // archived messages marked duplicate_of an earlier one
	Conflicts     int        // archived messages whose identity matches an earlier one with another total
}

// Sync run kinds.
const (
	SyncKindIncremental = "incremental" // the window since the last successful run
	SyncKindRelist      = "relist"      // the daily re-list of the last 48 hours (late publication)
)

// Message states of sync_message_states.
const (
	MessageDeferred = "deferred" // waits for ANAF's daily download quota to reset (DeferredUntil)
	MessageExpired  = "expired"  // ANAF refused it as past its 60-day retention: never requested again
)

// MessageState is what the sync knows of a listed message it did not archive.
type MessageState struct {
	CompanyID     int64
	ANAFID        string
	State         string     // MessageDeferred | MessageExpired
	DeferredUntil *time.Time // MessageDeferred: not requested before this
	ANAFText      string     // ANAF's answer, verbatim
	MessageType   string
	ANAFCreatedAt *time.Time
	UpdatedAt     time.Time
}

// AuditEvent is one security-relevant action.
type AuditEvent struct {
	ID      int64
	At      time.Time
	ActorID *int64
	Action  string // e.g. "user.login", "user.approve", "apikey.create"
	Target  string
	Details string
	IP      string
}
