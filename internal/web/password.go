package web

import (
	"github.com/efactura-gateway/efactura/internal/auth"
)

// checkPassword and wastePasswordCheck are the only places the UI touches
// password hashing (internal/auth, argon2id); new hashes are made by the
// gateway (gateway.Service.PasswordParams).

// checkPassword reports whether password matches the stored PHC hash.
func checkPassword(hash, password string) (bool, error) {
	return auth.CheckPassword(hash, password)
}

// wastePasswordCheck spends the time of one verification, so an unknown
// e-mail answers as slowly as a wrong password.
func (a *app) wastePasswordCheck(password string) {
	if h := a.dummyHash(); h != "" {
		_, _ = auth.CheckPassword(h, password)
	}
}
