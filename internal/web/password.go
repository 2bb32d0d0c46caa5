package web

import "github.com/efactura-gateway/efactura/internal/auth"

// hashPassword hashes a password as the gateway stores it (internal/auth,
// argon2id); the use cases check passwords themselves.
func hashPassword(password string) (string, error) {
	return auth.HashPassword(password)
}
