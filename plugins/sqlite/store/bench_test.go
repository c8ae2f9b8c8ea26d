package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
)

// The benchmarks run each operation twice side by side: on the store
// directly and through the gRPC adapters the host uses, so
//
//	go test -run '^$' -bench . ./plugins/sqlite/store
//
// shows what the wire costs.

// wireConfig serves stores the way the plugin's main does.
func wireConfig() plugin.ServeConfig {
	open := func(ctx context.Context, raw json.RawMessage) (*Store, error) {
		var cfg Config
		if err := plugin.DecodeConfig(raw, &cfg); err != nil {
			return nil, err
		}
		return Open(ctx, cfg)
	}
	return plugin.ServeConfig{
		Name:   "sqlite",
		Schema: Schema,
		Pairing: func(ctx context.Context, raw json.RawMessage) (plugin.Pairing, error) {
			return open(ctx, raw)
		},
		Sessions: func(ctx context.Context, raw json.RawMessage) (plugin.Sessions, error) {
			return open(ctx, raw)
		},
	}
}

// benchStores returns a direct store and gRPC clients on one new file.
func benchStores(b *testing.B, maxPending int) (*Store, plugin.Pairing, plugin.Sessions) {
	b.Helper()
	cfg := Config{Path: filepath.Join(b.TempDir(), "bench.db")}
	cfg.MaxPending = maxPending
	s := openStore(b, cfg)
	raw, _ := json.Marshal(map[string]any{"path": cfg.Path, "max_pending": maxPending})
	pc, sc := plugintest.Connect(b, wireConfig()), plugintest.Connect(b, wireConfig())
	if err := pc.Configure(b.Context(), plugin.ProtocolPairing, "bench", raw); err != nil {
		b.Fatalf("Configure(pairing) = %v", err)
	}
	if err := sc.Configure(b.Context(), plugin.ProtocolSession, "bench", raw); err != nil {
		b.Fatalf("Configure(session) = %v", err)
	}
	return s, pc.Pairing(), sc.Sessions()
}

func BenchmarkIsPaired(b *testing.B) {
	s, wire, _ := benchStores(b, 1)
	const channels = 1000
	for i := range channels {
		benchPair(b, s, fmt.Sprint(i))
	}
	for _, v := range []struct {
		name string
		p    plugin.Pairing
	}{{"direct", s}, {"grpc", wire}} {
		p := v.p
		b.Run(v.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				ok, err := p.IsPaired(b.Context(), fmt.Sprint(i%(2*channels)), "chat")
				if err != nil || ok != (i%(2*channels) < channels) {
					b.Fatalf("IsPaired(%d) = %v, %v", i, ok, err)
				}
			}
		})
	}
}

func BenchmarkApprove(b *testing.B) {
	for _, wired := range []bool{false, true} {
		b.Run(map[bool]string{false: "direct", true: "grpc"}[wired], func(b *testing.B) {
			s, wire, _ := benchStores(b, b.N+1)
			var p plugin.Pairing = s
			if wired {
				p = wire
			}
			codes := make([]string, b.N)
			for i := range codes {
				pr, _, err := s.GenerateCode(b.Context(), plugin.CodeRequest{ChannelType: "chat", ChannelID: fmt.Sprint(i)})
				if err != nil {
					b.Fatalf("GenerateCode(%d) = %v", i, err)
				}
				codes[i] = pr.Code
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Approve(b.Context(), plugin.Approval{ChannelType: "chat", Code: codes[i]}); err != nil {
					b.Fatalf("Approve(%d) = %v", i, err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	s, _, wire := benchStores(b, 1)
	p := plugin.Principal{UserID: "ann", Role: "operator", Metadata: map[string]any{"groups": []any{"ops"}}}
	if err := s.Bind(b.Context(), "key", p, time.Now().Add(time.Hour)); err != nil {
		b.Fatalf("Bind() = %v", err)
	}
	for _, v := range []struct {
		name string
		ss   plugin.Sessions
	}{{"direct", s}, {"grpc", wire}} {
		ss := v.ss
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := ss.Lookup(b.Context(), "key"); err != nil {
					b.Fatalf("Lookup() = %v", err)
				}
			}
		})
	}
}

// BenchmarkListPairedMillion pages through a store of a million
// pairings, written straight into the table to keep setup short.
func BenchmarkListPairedMillion(b *testing.B) {
	s, wire, _ := benchStores(b, 1)
	fillPaired(b, s, 1_000_000)
	for _, v := range []struct {
		name string
		p    plugin.Pairing
	}{{"direct", s}, {"grpc", wire}} {
		p := v.p
		b.Run(v.name, func(b *testing.B) {
			cursor := ""
			for b.Loop() {
				page, next, err := p.ListPaired(b.Context(), plugin.Page{Cursor: cursor, Limit: 500})
				if err != nil || len(page) == 0 {
					b.Fatalf("ListPaired() = %d, %v", len(page), err)
				}
				cursor = next
			}
		})
	}
}

func benchPair(b *testing.B, s *Store, id string) {
	b.Helper()
	pr, _, err := s.GenerateCode(b.Context(), plugin.CodeRequest{ChannelType: "chat", ChannelID: id})
	if err == nil {
		_, err = s.Approve(b.Context(), plugin.Approval{ChannelType: "chat", Code: pr.Code})
	}
	if err != nil {
		b.Fatalf("pair %s = %v", id, err)
	}
}

// fillPaired inserts n pairings in one statement.
func fillPaired(tb testing.TB, s *Store, n int) {
	tb.Helper()
	_, err := s.write.ExecContext(tb.Context(), `WITH RECURSIVE seq(i) AS (
			SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
		INSERT INTO paired (channel_type, channel_id, paired_at, label, approved_by)
		SELECT 'chat', printf('%08d', i), 0, 'bulk', 'bench' FROM seq`, n)
	if err != nil {
		tb.Fatalf("fill %d pairings = %v", n, err)
	}
}
