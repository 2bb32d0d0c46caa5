package cif

import "testing"

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"12345674", "RO12345674", "ro 98765438", "31415920", "18547290"} {
		if _, err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"12345675", "", "RO", "abc", "12345678901", "1", "00000000", "0000000000", "RO00"} {
		if _, err := Check(bad); err == nil {
			t.Errorf("Check(%q) succeeded, want error", bad)
		}
	}
	if d, _ := Normalize(" RO 123 "); d != "123" {
		t.Errorf("Normalize = %q", d)
	}
	if d, err := Check("RO0012345674"); err != nil || d != "12345674" {
		t.Errorf("Check(RO0012345674) = %q, %v; want 12345674", d, err)
	}
}
