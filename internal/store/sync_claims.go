package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The sync asks about the messages of a page a chunk at a time instead of
// one message at a time (issue 16): on SQLite a claim per message was a
// write transaction per message, taking turns with the batches' inserts
// for the single writer; on PostgreSQL three round trips per message.

// maxIDsPerStatement bounds the ids formatted into one IN list or VALUES list.
const maxIDsPerStatement = 200

// placeholders returns "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// uniqueIDs drops repeated ids, keeping the first of each.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ArchivedAmong returns which of anafIDs are archived for any company
// (ArchivedZIP would find their ZIP), in one query per 200 ids.
func (s *Store) ArchivedAmong(ctx context.Context, anafIDs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	ids := uniqueIDs(anafIDs)
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if err := s.addIDs(ctx, out, `SELECT DISTINCT anaf_id FROM invoices WHERE anaf_id IN (`+placeholders(1, len(part))+`)`, args...); err != nil {
			return nil, s.wrap("archived anaf ids", err)
		}
	}
	return out, nil
}

// ClaimDownloads claims, as ClaimDownload does each, the downloads of
// anafIDs for owner until now+ttl, in one statement per 200 ids (one
// write transaction): it returns those claimed (nobody else held a live
// claim on them).
func (s *Store) ClaimDownloads(ctx context.Context, anafIDs []string, owner string, ttl time.Duration) (map[string]bool, error) {
	out := make(map[string]bool)
	ids := uniqueIDs(anafIDs)
	t := now()
	until, at := s.tv(t.Add(ttl)), s.tv(t)
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, 0, len(part)+3)
		args = append(args, owner, until, at)
		var values strings.Builder
		for i, id := range part {
			if i > 0 {
				values.WriteString(", ")
			}
			values.WriteString("($" + strconv.Itoa(4+i) + ", $1, $2)")
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if err := s.addIDs(ctx, out, `INSERT INTO sync_download_claims (anaf_id, owner, claim_until) VALUES `+values.String()+`
				ON CONFLICT (anaf_id) DO UPDATE SET owner = excluded.owner, claim_until = excluded.claim_until
				WHERE sync_download_claims.claim_until < $3 OR sync_download_claims.owner = excluded.owner
				RETURNING anaf_id`, args...); err != nil {
			return nil, s.wrap("claim downloads", err)
		}
	}
	return out, nil
}

// ReleaseDownloads drops owner's claims on anafIDs (ReleaseDownload of each).
func (s *Store) ReleaseDownloads(ctx context.Context, anafIDs []string, owner string) error {
	ids := uniqueIDs(anafIDs)
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, owner)
		for _, id := range part {
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if _, err := s.q.ExecContext(ctx, `DELETE FROM sync_download_claims WHERE owner = $1 AND anaf_id IN (`+placeholders(2, len(part))+`)`, args...); err != nil {
			return s.wrap("release downloads", err)
		}
	}
	return nil
}

// RenewDownloads extends owner's live claims on anafIDs to now+ttl (a
// claim another owner took over, or released, is left alone), in one
// statement per 200 ids: the sync renews the claims it holds for messages
// not yet archived, so a slow chunk keeps them (issue 16).
func (s *Store) RenewDownloads(ctx context.Context, anafIDs []string, owner string, ttl time.Duration) error {
	ids := uniqueIDs(anafIDs)
	until := s.tv(now().Add(ttl))
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, 0, len(part)+2)
		args = append(args, owner, until)
		for _, id := range part {
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if _, err := s.q.ExecContext(ctx, `UPDATE sync_download_claims SET claim_until = $2 WHERE owner = $1 AND anaf_id IN (`+placeholders(3, len(part))+`)`, args...); err != nil {
			return s.wrap("renew download claims", err)
		}
	}
	return nil
}

// addIDs runs query, whose rows are single ids, and adds each to out.
func (s *Store) addIDs(ctx context.Context, out map[string]bool, query string, args ...any) error {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		out[id] = true
	}
	return rows.Err()
}
