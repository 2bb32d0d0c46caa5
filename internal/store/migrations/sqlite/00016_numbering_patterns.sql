-- Compliance watch, deadlines and numbering (issue 20, part 1): a
-- company's own numbering pattern (a regular expression with a named group
-- "number", checked by internal/compliance when it is set). No row: the
-- default pattern (the number's last run of digits). A table of its own
-- rather than a column of companies, so that deleting the company removes
-- it and the companies row stays as it was.

-- +goose Up
CREATE TABLE company_numbering_patterns (
    company_id INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    pattern    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE company_numbering_patterns;
