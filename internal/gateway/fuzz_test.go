package gateway

import (
	"strings"
	"testing"
)

// FuzzInviteInput: the invitation form's e-mail and role never panic; an
// accepted address is its own normal form (so matching an invitee is an
// exact comparison), and a role is owner or member or refused.
func FuzzInviteInput(f *testing.F) {
	for _, s := range []string{"sam@example.ro", " Sam@Example.RO ", "\u017fam@example.ro", "a <b@c.ro>", "", "x@", "@y", "owner", "MEMBER", "admin"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, email, role string) {
		if got, err := inviteeEmail(email); err == nil {
			if got != normEmail(got) || got != strings.ToLower(strings.TrimSpace(email)) {
				t.Fatalf("inviteeEmail(%q) = %q, not in normal form", email, got)
			}
		}
		if r, err := normRole(role); err == nil && r != "owner" && r != "member" {
			t.Fatalf("normRole(%q) = %q", role, r)
		}
	})
}

// FuzzUploadInput: what UploadInvoice reads of a document before storing
// it never panics: the root element's name (CII is refused by it) and the
// CIF comparison (symmetric; equal CIFs match with or without RO).
func FuzzUploadInput(f *testing.F) {
	for _, s := range []string{`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`,
		`<?xml version="1.0"?><!-- c --><rsm:CrossIndustryInvoice xmlns:rsm="x"/>`, "", "<", "\xef\xbb\xbf<a>", "RO12345674", "12345674"} {
		f.Add([]byte(s), s)
	}
	f.Fuzz(func(t *testing.T, doc []byte, c string) {
		_ = rootName(doc)
		if sameCIF(c, "12345674") != sameCIF("12345674", c) {
			t.Fatalf("sameCIF not symmetric for %q", c)
		}
		if c != "" && !sameCIF(c, c) && strings.TrimSpace(c) != "" {
			t.Fatalf("sameCIF(%q, itself) = false", c)
		}
	})
}
