package gateway

import (
	"context"
	"errors"
	"testing"
)

func TestValidateUseCase(t *testing.T) {
	s := &Service{}
	ctx := context.Background()
	doc := []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`)
	if _, err := s.Validate(ctx, Principal{}, doc, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("nobody: %v", err)
	}
	for _, p := range []Principal{KeyOf(1, ScopeRead, 2), UserPrincipal(Actor{UserID: 3})} {
		r, err := s.Validate(ctx, p, doc, "en")
		if err != nil || r.Valid || r.DocType != "Invoice" {
			t.Fatalf("%+v %v", r, err)
		}
	}
	if _, err := s.Validate(ctx, KeyOf(1, ScopeRead, 2), doc, "fr"); !errors.Is(err, ErrValidateProfile) {
		t.Fatalf("profile: %v", err)
	}
	if _, err := s.Validate(ctx, KeyOf(1, ScopeRead, 2), nil, ""); !errors.Is(err, ErrValidateEmpty) {
		t.Fatalf("empty: %v", err)
	}
}
