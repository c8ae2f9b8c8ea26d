package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueriesUseIndexes checks with EXPLAIN QUERY PLAN that the hot
// queries search an index rather than scan a table, so they stay fast
// with a million pairings or sessions.
func TestQueriesUseIndexes(t *testing.T) {
	s := openStore(t, Config{Path: filepath.Join(t.TempDir(), "plan.db")})
	fillPaired(t, s, 1000)
	tests := []struct {
		name, query string
		args        []any
	}{
		{"IsPaired", `SELECT 1 FROM paired WHERE channel_type = ? AND channel_id = ?`, []any{"chat", "1"}},
		{"ListPaired", `SELECT channel_type, channel_id, paired_at, label, approved_by
			FROM paired WHERE (channel_type, channel_id) > (?, ?)
			ORDER BY channel_type, channel_id LIMIT ?`, []any{"chat", "00000500", 501}},
		{"ListAudit", `SELECT id FROM audit WHERE id > ? ORDER BY id LIMIT ?`, []any{10, 501}},
		{"Lookup", `SELECT principal, expires_at FROM sessions WHERE key = ? AND expires_at > ?`, []any{"k", 0}},
		{"OpenRequestOf", `SELECT code FROM pending
			WHERE channel_type = ? AND channel_id = ? AND expires_at > ? LIMIT 1`, []any{"chat", "1", 0}},
		{"SweepPending", `DELETE FROM pending WHERE expires_at <= ?`, []any{0}},
		{"SweepSessions", `DELETE FROM sessions WHERE expires_at <= ?`, []any{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s, tt.query, tt.args...)
			if !strings.Contains(plan, "SEARCH") || strings.Contains(plan, "SCAN") {
				t.Errorf("EXPLAIN QUERY PLAN %s = %q, want an index SEARCH and no SCAN", tt.name, plan)
			}
		})
	}
}

func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.write.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN = %v", err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan = %v", err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}
