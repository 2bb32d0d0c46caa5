-- E-mail notifications (issue 19). Times are UTC fixed-width TEXT as in 00001.
--
-- notification_prefs: each user's choice per company (instant, digest,
-- none); no row means the default, the daily digest.
-- mail_settings: per-user switches that are not per company (an admin's
-- mails about new registrations; no row: on).
-- mail_outbox: every composed mail, once: dedupe_key is unique (an event
-- and a user, a digest day and a user, a registration and an admin), so a
-- redelivered event never mails twice. A send_mail job sends it; state
-- pending → sent, or failed after the job's last attempt (shown to admins).
-- mail_digest_items: what a digest will hold, one per (event, user);
-- outbox_id is set when a digest took it.

-- +goose Up
CREATE TABLE notification_prefs (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    mode       TEXT NOT NULL CHECK (mode IN ('instant', 'digest', 'none')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, company_id)
);

CREATE TABLE mail_settings (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    registrations BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at    TEXT NOT NULL
);

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    unsubscribe_url TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    failed_at       TEXT
);
CREATE INDEX mail_outbox_state_idx ON mail_outbox (state, created_at);

CREATE TABLE mail_digest_items (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    event_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    outbox_id  INTEGER REFERENCES mail_outbox (id) ON DELETE SET NULL,
    UNIQUE (event_id, user_id)
);
CREATE INDEX mail_digest_items_open_idx ON mail_digest_items (user_id, created_at) WHERE outbox_id IS NULL;

-- +goose Down
DROP TABLE mail_digest_items;
DROP TABLE mail_outbox;
DROP TABLE mail_settings;
DROP TABLE notification_prefs;
