package store

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
)

// benchStore is one way of reaching the store.
type benchStore struct {
	name string
	p    plugin.Pairing
	s    plugin.Sessions
}

// benchStores opens one Redis and, side by side, the store in process
// and the same store behind the SDK's gRPC adapters.
func benchStores(b *testing.B) []benchStore {
	r := testenv.StartRedis(b, testenv.RedisOptions{})
	cfg := Config{Addresses: []string{r.Addr}}
	raw, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	direct := open(b, cfg)
	return []benchStore{
		{"Direct", direct, direct},
		{"Wire", connect(b, plugin.ProtocolPairing, raw).Pairing(), connect(b, plugin.ProtocolSession, raw).Sessions()},
	}
}

func BenchmarkIsPaired(b *testing.B) {
	for _, st := range benchStores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				if _, err := st.p.IsPaired(ctx, "42", "chat"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApprove times approvals only; each code is opened with the
// timer stopped.
func BenchmarkApprove(b *testing.B) {
	for _, st := range benchStores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				req := plugin.CodeRequest{ChannelType: "chat", ChannelID: st.name + strconv.Itoa(i)}
				pr, _, err := st.p.GenerateCode(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := st.p.Approve(ctx, plugin.Approval{ChannelType: "chat", Code: pr.Code}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, st := range benchStores(b) {
		b.Run(st.name, func(b *testing.B) {
			ctx := b.Context()
			p := plugin.Principal{UserID: "ann", Role: "operator", Metadata: map[string]any{"groups": []any{"ops"}}}
			if err := st.s.Bind(ctx, "bench", p, time.Now().Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, err := st.s.Lookup(ctx, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
