-- The native validator's verdict on archived invoices (issue 13). ANAF
-- accepted every synced invoice; the verdict under the current rules
-- (mostly warnings) is shown to the accountant.
--
-- validation_state: '' not validated yet, 'valid', 'invalid' (a fatal
-- rule fired), 'not_applicable' (ANAF's error list, a buyer message, an
-- unreadable ZIP: no UBL invoice to validate), 'failed' (the validator
-- itself failed; the report holds why).
-- validation_errors / validation_warnings: counts of the report's lists.
-- validation_report: the compact JSON report (ids, flags, messages, lines);
-- read only by the invoice's own page, never by the list.
-- validated_with: profile and rules version ("ro 1.0.9"); '' exactly when
-- not validated, so "needs validation" is validated_with <> current, which
-- the index answers when a new rules bundle arrives.

-- +goose Up
ALTER TABLE invoices ADD COLUMN validation_state TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN validation_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN validation_warnings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN validation_report TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN validated_with TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN validated_at TEXT;
CREATE INDEX invoices_validated_with_idx ON invoices (validated_with);

-- +goose Down
DROP INDEX invoices_validated_with_idx;
ALTER TABLE invoices DROP COLUMN validated_at;
ALTER TABLE invoices DROP COLUMN validated_with;
ALTER TABLE invoices DROP COLUMN validation_report;
ALTER TABLE invoices DROP COLUMN validation_warnings;
ALTER TABLE invoices DROP COLUMN validation_errors;
ALTER TABLE invoices DROP COLUMN validation_state;
