-- Two-factor login (issue 19): a user's TOTP secret (RFC 6238), sealed
-- with the keyring (internal/secretbox, like the ANAF tokens);
-- enabled_at NULL while the enrolment waits for its confirming code;
-- last_step the newest time step (Unix time / 30 s) a code was accepted
-- for, so a code is accepted once. Recovery codes are stored as the
-- SHA-256 of the normalised code (80 random bits each), used_at set when
-- spent. twofa_policy is the administrators' choice of who must use a
-- second factor (one row: off | admins | everyone; no row: off).

-- +goose Up
CREATE TABLE user_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc BLOB NOT NULL,
    enabled_at TEXT,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE user_recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at   TEXT
);
CREATE UNIQUE INDEX user_recovery_codes_hash_idx ON user_recovery_codes (user_id, code_hash);

CREATE TABLE twofa_policy (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    required   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE twofa_policy;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
