package secretbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/secretbox"
)

func newRing(t *testing.T, spec string) *secretbox.Keyring {
	t.Helper()
	kr, err := secretbox.Parse(spec)
	require.NoError(t, err)
	return kr
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	entry, err := secretbox.Generate("k1")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(entry, "k1:"))
	kr := newRing(t, entry)
	require.Equal(t, "k1", kr.NewestKID())

	for _, pt := range [][]byte{[]byte("refresh-token-ăîșț"), {}, make([]byte, 10000)} {
		ct, err := kr.Encrypt(pt)
		require.NoError(t, err)
		got, err := kr.Decrypt(ct)
		require.NoError(t, err)
		require.Equal(t, pt, got)
	}
	a, err := kr.Encrypt([]byte("same"))
	require.NoError(t, err)
	b, err := kr.Encrypt([]byte("same"))
	require.NoError(t, err)
	require.NotEqual(t, a, b, "random nonce")
	require.NotContains(t, string(a), "same")
}

func TestRotation(t *testing.T) {
	t.Parallel()
	old, err := secretbox.Generate("2025")
	require.NoError(t, err)
	ctOld, err := newRing(t, old).Encrypt([]byte("secret"))
	require.NoError(t, err)

	newer, err := secretbox.Generate("2026")
	require.NoError(t, err)
	kr := newRing(t, newer+", "+old)
	require.Equal(t, []string{"2026", "2025"}, kr.KIDs())

	got, err := kr.Decrypt(ctOld)
	require.NoError(t, err)
	require.Equal(t, []byte("secret"), got)
	kid, err := secretbox.KIDOf(ctOld)
	require.NoError(t, err)
	require.Equal(t, "2025", kid)

	ctNew, err := kr.Encrypt([]byte("secret"))
	require.NoError(t, err)
	kid, err = secretbox.KIDOf(ctNew)
	require.NoError(t, err)
	require.Equal(t, "2026", kid, "newest key encrypts")

	// Once the old key is dropped its ciphertexts are ErrUnknownKey.
	_, err = newRing(t, newer).Decrypt(ctOld)
	require.ErrorIs(t, err, secretbox.ErrUnknownKey)
}

func TestTamper(t *testing.T) {
	t.Parallel()
	e1, _ := secretbox.Generate("a")
	e2, _ := secretbox.Generate("b")
	kr := newRing(t, e1+","+e2)
	ct, err := kr.Encrypt([]byte("token"))
	require.NoError(t, err)

	for i := range ct {
		bad := append([]byte(nil), ct...)
		bad[i] ^= 0x01
		_, err := kr.Decrypt(bad)
		require.Error(t, err, "byte %d", i)
	}
	for _, bad := range [][]byte{nil, {}, {1}, {1, 0}, {2, 1, 'a'}, ct[:len(ct)-1], ct[:5]} {
		_, err := kr.Decrypt(bad)
		require.Error(t, err)
	}
	// Same kid, other key material: authentication fails.
	e3, _ := secretbox.Generate("a")
	_, err = newRing(t, e3).Decrypt(ct)
	require.ErrorIs(t, err, secretbox.ErrCorrupt)
}

func TestBadSpecs(t *testing.T) {
	t.Parallel()
	good, _ := secretbox.Generate("k")
	key := strings.TrimPrefix(good, "k:")
	tests := []struct{ name, spec string }{
		{"Empty", ""},
		{"NoColon", "k" + key},
		{"EmptyKID", ":" + key},
		{"BadKIDChars", "k y:" + key},
		{"LongKID", strings.Repeat("k", 65) + ":" + key},
		{"NotBase64", "k:!!!notbase64!!!"},
		{"ShortKey", "k:c2hvcnQ"},
		{"Duplicate", good + "," + good},
		{"TrailingComma", good + ","},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := secretbox.Parse(tt.spec)
			require.ErrorIs(t, err, secretbox.ErrBadSpec)
			require.NotContains(t, err.Error(), key, "no key material in errors")
		})
	}
	_, err := secretbox.Generate("bad kid")
	require.ErrorIs(t, err, secretbox.ErrBadSpec)

	// URL base64 and padding variants are accepted.
	urlKey := strings.NewReplacer("+", "-", "/", "_").Replace(key)
	newRing(t, "k:"+strings.TrimRight(urlKey, "="))
}

// TestNewKID: fresh kids are valid, dated and distinct, so a generated key
// never clashes with one already in the keyring.
func TestNewKID(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 8, 0, 30, 0, 0, time.FixedZone("EET", 2*3600)) // 7 December in UTC
	seen := map[string]bool{}
	for range 100 {
		kid := secretbox.NewKID(now)
		require.Regexp(t, `^k20261207-[0-9a-f]{6}$`, kid, "the UTC date")
		require.False(t, seen[kid])
		seen[kid] = true
		spec, err := secretbox.Generate(kid)
		require.NoError(t, err)
		kr, err := secretbox.Parse(spec)
		require.NoError(t, err)
		require.True(t, kr.Has(kid))
		require.False(t, kr.Has(kid+"x"))
	}
}
