// Package auth holds the gateway's credentials logic: argon2id password
// hashes (PHC strings), company API keys ("efk_" + 256 random bits, stored
// as a SHA-256), and the scs session store over the database, which keeps
// only the SHA-256 of each session token.
package auth
