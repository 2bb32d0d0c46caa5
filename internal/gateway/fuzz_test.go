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
