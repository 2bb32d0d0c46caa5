-- Login throttling shared by every replica (issue 11): one row per failed
-- login. account is the hex SHA-256 of the lower-cased e-mail typed (so the
-- row has a fixed size and keeps no typed text), ip the client's address
-- (an IPv6 client's /64), failed_at UTC fixed-width TEXT as in 00001. Rows
-- older than the throttle window are pruned.

-- +goose Up
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    account   TEXT NOT NULL,
    ip        TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_account_idx ON login_failures (account, failed_at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, failed_at);
CREATE INDEX login_failures_failed_at_idx ON login_failures (failed_at);

-- +goose Down
DROP TABLE login_failures;
