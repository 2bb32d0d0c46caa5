package gateway

import (
	"context"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// Refusals of Validate.
var (
	ErrValidateProfile = &Error{Kind: KindInvalid, Code: "invalid_profile", Field: "profile", Msg: "profile must be ro or en."}
	ErrValidateEmpty   = &Error{Kind: KindInvalid, Code: "empty_document", Msg: "send the XML document to validate."}
	ErrValidateTooBig  = &Error{Kind: KindInvalid, Code: "document_too_large", Msg: "the document is larger than ANAF's 10 MB limit."}
)

// ValidateReport is the verdict on one document (validate.Report).
type ValidateReport = validate.Report

// Validate checks doc offline against the UBL 2.1 schema and the profile's
// rules ("ro", the default: ANAF CIUS-RO 1.0.9; "en": EN 16931 1.3.16).
// It reads no data and calls nobody: any web user or API key may use it
// (the zero Principal may not). An invalid document is a report, not an
// error.
func (s *Service) Validate(_ context.Context, p Principal, doc []byte, profile string) (*ValidateReport, error) {
	if _, isKey := p.Key(); !isKey && p.Actor().UserID == 0 && !p.Actor().CLI {
		return nil, ErrNotFound
	}
	switch profile {
	case "", "ro":
		profile = validate.ProfileRO
	case validate.ProfileEN, "en16931": // the old name of en
		profile = validate.ProfileEN
	default:
		return nil, ErrValidateProfile
	}
	if len(doc) == 0 {
		return nil, ErrValidateEmpty
	}
	if len(doc) > invoice.MaxUploadSize {
		return nil, ErrValidateTooBig
	}
	return validate.Validate(doc, profile)
}
