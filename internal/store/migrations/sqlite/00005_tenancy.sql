-- Tenancy (issue 11): a company is verified by ANAF before it shows
-- anything; memberships come from accepted invitations or join requests; a
-- member's ANAF connection serves a company only with that member's consent.
--
-- companies.status: 'verified' once an ANAF call made with a consenting
-- member's token succeeded for the CIF, else 'unverified'.
-- memberships.anaf_consent: "use my ANAF connection for this company";
-- anaf_ok_at: the last time that member's token worked for the CIF (tried
-- first); anaf_denied_until: ANAF refused that member's token for the CIF
-- ("Nu aveti drept in SPV…"), not tried again before then.
-- users.notice: a message shown once at the next login ('consent_off').
--
-- Existing installations: the old model let only a company's creator be an
-- owner (members were added as 'member', no role could be changed), so the
-- owners keep consent and every member loses it and is told at next login.
-- A company stays verified only when a sync succeeded and every member
-- holding an ANAF token consents (so that sync used a consenting member's
-- token); otherwise it is unverified until its next sync verifies it.

-- +goose Up
ALTER TABLE companies ADD COLUMN status TEXT NOT NULL DEFAULT 'unverified';
ALTER TABLE companies ADD COLUMN verified_at TEXT;
ALTER TABLE companies ADD COLUMN verified_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE memberships ADD COLUMN anaf_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN anaf_ok_at TEXT;
ALTER TABLE memberships ADD COLUMN anaf_denied_until TEXT;
ALTER TABLE users ADD COLUMN notice TEXT NOT NULL DEFAULT '';

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    invited_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    decided_at  TEXT
);
CREATE UNIQUE INDEX invitations_pending_idx ON invitations (company_id, email) WHERE status = 'pending';
CREATE INDEX invitations_email_idx ON invitations (email, status);

CREATE TABLE join_requests (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT NOT NULL DEFAULT 'pending',
    created_at  TEXT NOT NULL,
    decided_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at  TEXT
);
CREATE UNIQUE INDEX join_requests_pending_idx ON join_requests (company_id, user_id) WHERE status = 'pending';
CREATE INDEX join_requests_user_idx ON join_requests (user_id);

UPDATE memberships SET anaf_consent = CASE WHEN role = 'owner' THEN 1 ELSE 0 END;
UPDATE users SET notice = 'consent_off' WHERE id IN (SELECT user_id FROM memberships WHERE anaf_consent = 0);
UPDATE companies SET status = 'verified', verified_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
WHERE EXISTS (SELECT 1 FROM sync_runs r WHERE r.company_id = companies.id AND r.status IN ('ok', 'partial'))
  AND EXISTS (SELECT 1 FROM memberships m JOIN anaf_tokens t ON t.user_id = m.user_id
              WHERE m.company_id = companies.id AND m.anaf_consent = 1)
  AND NOT EXISTS (SELECT 1 FROM memberships m JOIN anaf_tokens t ON t.user_id = m.user_id
                  WHERE m.company_id = companies.id AND m.anaf_consent = 0);
INSERT INTO audit_events (at, actor_id, action, target, details)
SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z', NULL, 'membership.consent_migrated',
       'company:' || c.cif, 'actor=system user=' || u.email || ' consent=' || CASE WHEN m.anaf_consent = 1 THEN 'on' ELSE 'off' END
FROM memberships m JOIN companies c ON c.id = m.company_id JOIN users u ON u.id = m.user_id;
INSERT INTO audit_events (at, actor_id, action, target, details)
SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z', NULL, 'company.status_migrated',
       'company:' || c.cif, 'actor=system status=' || c.status
FROM companies c;

-- +goose Down
DROP TABLE join_requests;
DROP TABLE invitations;
ALTER TABLE users DROP COLUMN notice;
ALTER TABLE memberships DROP COLUMN anaf_denied_until;
ALTER TABLE memberships DROP COLUMN anaf_ok_at;
ALTER TABLE memberships DROP COLUMN anaf_consent;
ALTER TABLE companies DROP COLUMN verified_by;
ALTER TABLE companies DROP COLUMN verified_at;
ALTER TABLE companies DROP COLUMN status;
