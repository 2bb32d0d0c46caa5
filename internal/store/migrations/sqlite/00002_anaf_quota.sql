-- The gateway's own accounting of ANAF's call quotas (internal/anaf
-- QuotaLimits), shared by every process on this database. One row per
-- counter: quota_key names it ("descarcare|3012345671", "rate", …),
-- [window_start, window_end) is its current window (UTC, fixed-width TEXT
-- as in 00001), used the calls taken in it. A later window resets used.

-- +goose Up
CREATE TABLE anaf_quota (
    quota_key    TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    used         INTEGER NOT NULL
);
CREATE INDEX anaf_quota_window_end_idx ON anaf_quota (window_end);

-- +goose Down
DROP TABLE anaf_quota;
