package config

import (
	"net/netip"
	"testing"
)

func TestWebhookAllowCIDRs(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.WebhookAllowCIDRs) != 0 || !c.WebhookAllowHTTP {
		t.Fatalf("development default: closed ranges, http accepted; got %v %v", c.WebhookAllowCIDRs, c.WebhookAllowHTTP)
	}
	c, err = Load(env(map[string]string{"EFACTURA_DATA_DIR": dir, "EFACTURA_WEBHOOK_ALLOW_CIDRS": " 127.0.0.0/8, 10.1.2.3 ,fd00::/8"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.2.3/32"), netip.MustParsePrefix("fd00::/8")}
	if len(c.WebhookAllowCIDRs) != len(want) {
		t.Fatalf("got %v", c.WebhookAllowCIDRs)
	}
	for i := range want {
		if c.WebhookAllowCIDRs[i] != want[i] {
			t.Fatalf("got %v, want %v", c.WebhookAllowCIDRs, want)
		}
	}
	if _, err := Load(env(map[string]string{"EFACTURA_DATA_DIR": dir, "EFACTURA_WEBHOOK_ALLOW_CIDRS": "localhost"})); err == nil {
		t.Fatal("a host name is not a CIDR")
	}
	// Production: https:// endpoints only, and still closed by default.
	c, err = Load(env(map[string]string{"EFACTURA_ENV": "production", "DATABASE_URL": "postgres://u@db/efactura",
		"EFACTURA_SECRET_KEY": NewSecretKey(), "EFACTURA_ENCRYPTION_KEY": NewEncryptionKey("k1"), "EFACTURA_BASE_URL": "https://gw.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhookAllowHTTP || len(c.WebhookAllowCIDRs) != 0 {
		t.Fatalf("production: http:// must be refused and no range allowed; got %v %v", c.WebhookAllowHTTP, c.WebhookAllowCIDRs)
	}
}
