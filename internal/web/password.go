package web

import (
	"sync"

	"github.com/efactura-gateway/efactura/internal/auth"
)

// hashPassword, checkPassword and wastePasswordCheck are the only places
// the UI touches password hashing (internal/auth, argon2id).
func hashPassword(password string) (string, error) {
	return auth.HashPassword(password)
}

// checkPassword reports whether password matches the stored PHC hash.
func checkPassword(hash, password string) (bool, error) {
	return auth.CheckPassword(hash, password)
}

// wastePasswordCheck spends the time of one verification, so an unknown
// e-mail answers as slowly as a wrong password.
func wastePasswordCheck(password string) {
	if h := dummyHash(); h != "" {
		_, _ = auth.CheckPassword(h, password)
	}
}

// dummyHash is a valid argon2id hash of a throw-away password, made on
// first use.
var dummyHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword("not-a-real-password-0123456789")
	if err != nil {
		return ""
	}
	return h
})
