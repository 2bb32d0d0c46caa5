package anaf

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies a failed ANAF call. The zero value is never used by
// the client.
type ErrorKind int

// Error kinds. See the matching Err* sentinels for meaning and handling.
const (
	KindUnauthorized   ErrorKind = iota + 1 // 401/403, OAuth invalid_grant/invalid_client: token expired, revoked, invalid
	KindNoRights                            // "Nu aveti drept…", "Nu exista niciun CIF…": the certificate lacks SPV rights
	KindQuota                               // "S-au (facut|incarcat) deja N", HTTP 429, HTTP 204
	KindNotFound                            // "nu exista inregistrata nici o factura", "Nu exista factura cu id_incarcare"
	KindExpired                             // download after the 60-day availability period
	KindInvalidRequest                      // parameter validation texts, family D 400/404 (a bug on our side)
	KindRejected                            // any other business refusal (upload: invalid XML, too big, …)
	KindTransient                           // 5xx, timeouts, resets, truncated body, F5/maintenance HTML, empty body
	KindOutcomeUnknown                      // upload may or may not have been accepted ("A aparut o eroare tehnica", lost answer)
	KindMalformed                           // a complete answer that is not what the endpoint returns (bad JSON, "ZIP" that is not one, too large)
	KindCanceled                            // the caller's context was canceled or hit its deadline
	KindListTooLarge                        // listaMesajeFactura: "Lista de mesaje este mai mare decat numarul de 500 elemente…"
)

var kindNames = map[ErrorKind]string{
	KindUnauthorized:   "unauthorized",
	KindNoRights:       "no rights",
	KindQuota:          "quota exceeded",
	KindNotFound:       "not found",
	KindExpired:        "expired",
	KindInvalidRequest: "invalid request",
	KindRejected:       "rejected",
	KindTransient:      "transient failure",
	KindOutcomeUnknown: "outcome unknown",
	KindMalformed:      "malformed answer",
	KindCanceled:       "canceled",
	KindListTooLarge:   "list too large",
}

// String returns a short lowercase name of the kind ("quota exceeded").
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels for errors.Is. An *Error matches the sentinel of its Kind;
// ErrTransient additionally matches every error for which IsTransient is true
// (KindOutcomeUnknown and the per-minute rate limit, HTTP 429).
var (
	// ErrUnauthorized: the access token is expired, revoked, opaque or
	// invalid (HTTP 401/403), or the token endpoint refused the grant or the
	// client (invalid_grant, invalid_client). Refresh or re-authorize.
	ErrUnauthorized = errors.New("anaf: unauthorized")
	// ErrNoRights: the token's certificate has no SPV right for the CIF
	// ("Nu aveti drept in SPV pentru CIF=…", "Nu exista niciun CIF…",
	// "Nu aveti dreptul sa descarcati…"). Not retryable.
	ErrNoRights = errors.New("anaf: no rights")
	// ErrQuota: a quota was hit. Error.Quota says which one; Error.Limit
	// carries N from "S-au facut deja N". Daily quotas are not transient
	// (Error.RetryAfter points at the next Bucharest midnight); the
	// per-minute limit (HTTP 429) is.
	ErrQuota = errors.New("anaf: quota exceeded")
	// ErrNotFound: unknown download id or upload index.
	ErrNotFound = errors.New("anaf: not found")
	// ErrExpired: the message is older than the 60 days ANAF keeps it.
	ErrExpired = errors.New("anaf: expired")
	// ErrInvalidRequest: ANAF refused a parameter (family B/A texts such as
	// "… nu este un numar", or a family D HTTP 400). A bug on our side.
	ErrInvalidRequest = errors.New("anaf: invalid request")
	// ErrRejected: any other business refusal, e.g. an upload whose XML is
	// not valid ("Fisierul transmis nu este valid…") or too big.
	ErrRejected = errors.New("anaf: rejected")
	// ErrTransient: try again later (5xx, timeout, connection reset,
	// truncated body, F5 firewall or "Mentenanta sistem" HTML, empty body).
	ErrTransient = errors.New("anaf: transient failure")
	// ErrOutcomeUnknown: an upload whose fate is unknown ("A aparut o
	// eroare tehnica. Cod: …", or the answer was lost after sending). It is
	// also transient, but the caller must reconcile through the message
	// list before blindly re-sending (ANAF rejects duplicates later).
	ErrOutcomeUnknown = errors.New("anaf: outcome unknown")
	// ErrMalformed: a complete answer that is not what the endpoint returns
	// (JSON that does not parse, a "ZIP" that is not one, a body over the
	// size limit). Deliberately NOT transient: retrying a deterministic
	// garbage answer burns quota (descarcare allows 10 per id per day); the
	// caller may retry it later with its own small budget.
	ErrMalformed = errors.New("anaf: malformed answer")
	// ErrListTooLarge: the simple list (listaMesajeFactura) refused to
	// answer because more than 500 messages match ("Lista de mesaje este
	// mai mare decat numarul de 500 elemente permise in pagina. Folositi
	// endpoint-ul cu paginatie."). Use ListMessages (the paginated
	// endpoint) instead; not retryable.
	ErrListTooLarge = errors.New("anaf: list too large, use the paginated list")
)

var kindSentinels = map[ErrorKind]error{
	KindUnauthorized:   ErrUnauthorized,
	KindNoRights:       ErrNoRights,
	KindQuota:          ErrQuota,
	KindNotFound:       ErrNotFound,
	KindExpired:        ErrExpired,
	KindInvalidRequest: ErrInvalidRequest,
	KindRejected:       ErrRejected,
	KindTransient:      ErrTransient,
	KindOutcomeUnknown: ErrOutcomeUnknown,
	KindMalformed:      ErrMalformed,
	KindListTooLarge:   ErrListTooLarge,
}

// Quota names which ANAF limit was hit (Error.Quota).
type Quota string

// Quotas, by endpoint (API.md §7).
const (
	QuotaRate        Quota = "rate"                        // 1000 requests/minute, HTTP 429 (and the client's own per-minute accounting)
	QuotaNoContent   Quota = "no-content"                  // HTTP 204 (Odoo reads it as "limit reached")
	QuotaList        Quota = "listaMesajeFactura"          // 1500/day/CUI
	QuotaListPaged   Quota = "listaMesajePaginatieFactura" // 100 000/day/CUI
	QuotaStatus      Quota = "stareMesaj"                  // 10 or 100/day per upload index (the client counts 10)
	QuotaDownload    Quota = "descarcare"                  // 10/day per download id
	QuotaUploadRASP  Quota = "upload-RASP"                 // 1000 RASP/day/CUI
	QuotaUnspecified Quota = "unspecified"                 // quota text on an endpoint not listed above
)

// Error is a failed ANAF call. Text is ANAF's own text, verbatim (the
// `eroare`, `errorMessage`(s joined by "; "), family C `Messages` (joined by
// "; "), family D `message`, OAuth `error_description`, the signature
// check's `msg`, or the visible text of an HTML page); it is empty when
// ANAF said nothing (empty body, transport error) and Err then tells why.
//
// When Local is true ANAF was never called: the client refused by itself
// (its own quota accounting, or an argument it can tell ANAF would refuse)
// and Text is the client's English sentence saying so.
type Error struct {
	Kind       ErrorKind
	Endpoint   string        // ANAF endpoint: "upload", "uploadb2c", "stareMesaj", "listaMesajeFactura", "listaMesajePaginatieFactura", "descarcare", "validare", "transformare", "validate-signature", "token", "revoke", "hello"
	HTTPStatus int           // 0 when no answer arrived (always 0 when Local)
	Text       string        // ANAF's text, verbatim (or the client's own sentence when Local)
	Code       string        // OAuth "error" code, or the error= of WWW-Authenticate (e.g. "invalid_token")
	Quota      Quota         // which quota, when Kind == KindQuota
	Limit      int           // N of "S-au facut deja N", or the client's limit when Local; 0 when absent
	RetryAfter time.Duration // Retry-After header, or time to the next Bucharest midnight for daily quotas, or to ResetAt when Local
	ResetAt    time.Time     // when a quota resets (UTC); zero when unknown
	Local      bool          // refused by the client itself before calling ANAF
	TraceID    string        // family C trace_id (validare, transformare), for ANAF support
	Err        error         // underlying cause (transport, decoding, size), may be nil
}

// Error renders "anaf <endpoint>: <kind> (HTTP <status>): <text>: <cause>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("anaf ")
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Kind == KindQuota && e.Quota != "" {
		b.WriteString(" [" + string(e.Quota) + "]")
	}
	if e.Local {
		b.WriteString(" (gateway's own accounting, ANAF not called)")
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(e.Text)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause (e.g. context.Canceled, io.ErrUnexpectedEOF).
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind, or ErrTransient
// when e is transient (see IsTransient).
func (e *Error) Is(target error) bool {
	if target == ErrTransient {
		return e.transient()
	}
	s, ok := kindSentinels[e.Kind]
	return ok && s == target
}

func (e *Error) transient() bool {
	switch e.Kind {
	case KindTransient, KindOutcomeUnknown:
		return true
	case KindQuota:
		return e.Quota == QuotaRate
	}
	return false
}

// IsTransient reports whether err is worth retrying after a pause: an
// *Error of KindTransient or KindOutcomeUnknown, or the per-minute rate
// limit (HTTP 429). Daily quotas, malformed answers, cancellations and
// business refusals are not transient.
func IsTransient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.transient()
	}
	return false
}

// KindOf returns the kind of the *Error in err's chain, or 0.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Texts ANAF uses; matched case-insensitively and loosely because ANAF's
// wording has typos and varies (API.md §3.0).
var (
	reQuota       = regexp.MustCompile(`(?i)S-au\s+(facut|incarcat)\s+deja\s+(\d+)`)
	reNoMessages  = regexp.MustCompile(`(?i)^\s*Nu\s+exista\s+mesaje\s+in\b`)
	rePastLast    = regexp.MustCompile(`(?i)Pagina\s+solicitata\s+(\d+)\s+este\s+mai\s+mare\s+decat\s+numarul\s+\w+\s+de\s+pagini\s+(\d+)`)
	reNoRights    = regexp.MustCompile(`(?i)nu\s+aveti\s+drept|nu\s+exista\s+niciun\s+CIF`)
	reNotFound    = regexp.MustCompile(`(?i)nu\s+exista\s+inregistrat\w*\s+nici\s*o\s+factura|nu\s+exista\s+factura\s+cu\s+id_incarcare`)
	reExpired     = regexp.MustCompile(`(?i)nu\s+mai\s+poate\s+fi\s+descarcat|perioada\s+de\s+60\s+de\s+zile\s+in\s+care`)
	reTechnical   = regexp.MustCompile(`(?i)a\s+aparut\s+o\s+eroare\s+tehnica`)
	reTooLarge    = regexp.MustCompile(`(?i)lista\s+de\s+mesaje\s+este\s+mai\s+mare\s+decat\s+numarul\s+de\s+\d+\s+elemente`)
	reInvalidReqs = regexp.MustCompile(`(?i)` + strings.Join([]string{
		`nu\s+este\s+un\s+numar`,
		`nu\s+are\s+o\s+valoare\s+acceptata`,
		`valorile\s+acceptate\s+pentru\s+parametrul`,
		`numarul\s+de\s+zile\s+trebuie`,
		`nu\s+poate\s+fi\s+mai\s+vechi\s+de`,
		`nu\s+poate\s+(fi\s+)?in\s+viitor`,
		`nu\s+poate\s+fi\s+<=`,
		`este\s+obligatori`,
		`sunt\s+obligatori`,
		`daca\s+parametrul\s+\w+\s+trebuie\s+completat`,
		`mai\s+mare\s+decat\s+numarul\s+de\s+\d+\s+elemente`,
		`trebuie\s+sa\s+aveti\s+atasat`,
	}, "|"))
)

// classifyText maps one ANAF business text to an *Error (kind, quota,
// limit). endpoint selects the quota name and the meaning of "eroare
// tehnica" (outcome unknown on upload, transient elsewhere).
func classifyText(endpoint string, status int, text string, now time.Time) *Error {
	e := &Error{Endpoint: endpoint, HTTPStatus: status, Text: text}
	switch {
	case reQuota.MatchString(text):
		e.Kind = KindQuota
		m := reQuota.FindStringSubmatch(text)
		e.Limit, _ = strconv.Atoi(m[2])
		e.Quota = quotaFor(endpoint, text)
		e.RetryAfter = untilBucharestMidnight(now)
		e.ResetAt = now.Add(e.RetryAfter).UTC()
	case reTechnical.MatchString(text):
		if endpoint == epUpload {
			e.Kind = KindOutcomeUnknown
		} else {
			e.Kind = KindTransient
		}
	case reTooLarge.MatchString(text):
		e.Kind = KindListTooLarge
	case reNoRights.MatchString(text):
		e.Kind = KindNoRights
	case reNotFound.MatchString(text):
		e.Kind = KindNotFound
	case reExpired.MatchString(text):
		e.Kind = KindExpired
	case reInvalidReqs.MatchString(text):
		e.Kind = KindInvalidRequest
	default:
		e.Kind = KindRejected
	}
	return e
}

func quotaFor(endpoint, text string) Quota {
	switch endpoint {
	case epList:
		return QuotaList
	case epListPaged:
		return QuotaListPaged
	case epStatus:
		return QuotaStatus
	case epDownload:
		return QuotaDownload
	case epUpload, epUploadB2C:
		if strings.Contains(strings.ToUpper(text), "RASP") {
			return QuotaUploadRASP
		}
	}
	return QuotaUnspecified
}

// QuotaResetHour is the hour of the day, Europe/Bucharest, at which ANAF's
// daily quotas (descarcare's 10 per message, the lists' per CIF, …) are
// assumed to reset: midnight. ANAF does not document it (API.md §7); it is
// this one constant, and a caller that still meets a daily-quota refusal
// after a reset says so in its log (internal/anafsync).
const QuotaResetHour = 0

// NextQuotaReset returns the first assumed reset of ANAF's daily quotas
// after now (QuotaResetHour, Europe/Bucharest), in UTC.
func NextQuotaReset(now time.Time) time.Time {
	l := now.In(Bucharest())
	next := time.Date(l.Year(), l.Month(), l.Day(), QuotaResetHour, 0, 0, 0, Bucharest())
	if !next.After(now) {
		next = time.Date(l.Year(), l.Month(), l.Day()+1, QuotaResetHour, 0, 0, 0, Bucharest())
	}
	return next.UTC()
}

// untilBucharestMidnight is the wait until the next assumed reset of ANAF's
// daily counters (NextQuotaReset).
func untilBucharestMidnight(now time.Time) time.Duration {
	return NextQuotaReset(now).Sub(now)
}

// RateLimitWait is the pause after an HTTP 429 that carries no Retry-After:
// ANAF's rate limit behind 429 is per minute (API.md §7), so about a
// minute, plus up to RateLimitJitter at random so that workers limited
// together do not come back together.
const (
	RateLimitWait   = time.Minute
	RateLimitJitter = 15 * time.Second
)

// rateLimitWait is RateLimitWait plus a random part of RateLimitJitter.
func rateLimitWait() time.Duration {
	return RateLimitWait + rand.N(RateLimitJitter)
}
