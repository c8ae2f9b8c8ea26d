package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	redisstore "github.com/gatehouse/gatehouse/plugins/redis/store"
	sqlitestore "github.com/gatehouse/gatehouse/plugins/sqlite/store"
)

// storeClients are the client counts of the store measurements.
var storeClients = []int{1, 16}

// pairedChannels is how many channels the store measurements pair.
const pairedChannels = 1000

// benchPrincipal is what the session measurements bind.
var benchPrincipal = plugin.Principal{
	UserID: "bench", Role: "operator", Metadata: map[string]any{"auth": "token"},
}

// stores is one backend seen two ways: through the plugin binary under
// host/supervisor, and as the store package in process.
type stores struct {
	name               string
	gatePair, basePair plugin.Pairing
	gateSess, baseSess plugin.Sessions
}

// BenchmarkStores runs pairing and session operations on SQLite and
// Redis through the plugin and directly in process, with one and with 16
// concurrent clients.
func BenchmarkStores(b *testing.B) {
	for _, open := range []func(*testing.B) stores{openSQLite, openRedis} {
		s := open(b)
		seedPaired(b, s.basePair)
		for _, op := range storeOps {
			b.Run(s.name+"/"+op.name, func(b *testing.B) {
				for _, c := range storeClients {
					r := row{section: sectionStores, name: s.name + " " + op.name + " (plugin vs in process)", clients: c}
					if c == 16 {
						r.target = ratioAtMost(2)
					}
					pair(b, r, op.work(s.gatePair, s.gateSess, s.basePair),
						op.work(s.basePair, s.baseSess, s.basePair))
				}
			})
		}
	}
}

func openSQLite(b *testing.B) stores {
	path := filepath.Join(b.TempDir(), "stores.db")
	set := startSet(b, tokenAuthBlock(newToken(b)), sqliteBlocks(path))
	cfg := sqlitestore.Config{Path: path}
	cfg.MaxPending = maxPending
	direct, err := sqlitestore.Open(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })
	return stores{name: "SQLite", gatePair: set.Pairing(), gateSess: set.Sessions(),
		basePair: direct, baseSess: direct}
}

func openRedis(b *testing.B) stores {
	r := testenv.StartRedis(b, testenv.RedisOptions{})
	set := startSet(b, tokenAuthBlock(newToken(b)), redisBlocks(r.Addr))
	cfg := redisstore.Config{Addresses: []string{r.Addr}}
	cfg.MaxPending = maxPending
	direct, err := redisstore.Open(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })
	return stores{name: "Redis", gatePair: set.Pairing(), gateSess: set.Sessions(),
		basePair: direct, baseSess: direct}
}

// seedPaired pairs channels c0 … c999 of type chat.
func seedPaired(b *testing.B, p plugin.Pairing) {
	b.Helper()
	for i := range pairedChannels {
		if err := pairChannel(b.Context(), p, "chat", fmt.Sprint("c", i)); err != nil {
			b.Fatal(err)
		}
	}
}

func pairChannel(ctx context.Context, p plugin.Pairing, typ, id string) error {
	pr, _, err := p.GenerateCode(ctx, plugin.CodeRequest{ChannelType: typ, ChannelID: id})
	if err == nil {
		_, err = p.Approve(ctx, plugin.Approval{ChannelType: typ, Code: pr.Code, Actor: "bench"})
	}
	if err != nil {
		return fmt.Errorf("pair %s/%s: %w", typ, id, err)
	}
	return nil
}

// storeOp builds the workload of one operation against a pairing and a
// session store; seed is the direct store, for preparing outside the
// clock.
type storeOp struct {
	name string
	work func(p plugin.Pairing, s plugin.Sessions, seed plugin.Pairing) workload
}

var storeOps = []storeOp{
	{"is-paired", isPairedWork},
	{"open request", openRequestWork},
	{"approve", approveWork},
	{"bind session", bindWork},
	{"look up session", lookupWork},
}

// round numbers the rounds of every workload, so that each round opens
// requests and binds keys no earlier round used.
var round atomic.Int64

// isPairedWork asks for c0 … c1999: half are paired.
func isPairedWork(p plugin.Pairing, _ plugin.Sessions, _ plugin.Pairing) workload {
	return workload{op: func(ctx context.Context, i int) error {
		n := i % (2 * pairedChannels)
		ok, err := p.IsPaired(ctx, fmt.Sprint("c", n), "chat")
		if err == nil && ok != (n < pairedChannels) {
			err = fmt.Errorf("IsPaired(c%d) = %v", n, ok)
		}
		return err
	}}
}

// openRequestWork opens a request for a new channel per operation.
func openRequestWork(p plugin.Pairing, _ plugin.Sessions, _ plugin.Pairing) workload {
	var prefix string
	return workload{
		prepare: func(context.Context, int) error {
			prefix = fmt.Sprint("r", round.Add(1), "-")
			return nil
		},
		op: func(ctx context.Context, i int) error {
			_, _, err := p.GenerateCode(ctx, plugin.CodeRequest{
				ChannelType: fmt.Sprint("open", i%100), ChannelID: fmt.Sprint(prefix, i),
			})
			return err
		},
	}
}

// approveWork approves codes opened outside the clock.
func approveWork(p plugin.Pairing, _ plugin.Sessions, seed plugin.Pairing) workload {
	var codes []plugin.PendingRequest
	return workload{
		prepare: func(ctx context.Context, n int) (err error) {
			codes, err = openCodes(ctx, seed, fmt.Sprint("a", round.Add(1), "-"), n)
			return err
		},
		op: func(ctx context.Context, i int) error {
			_, err := p.Approve(ctx, plugin.Approval{
				ChannelType: codes[i].ChannelType, Code: codes[i].Code, Actor: "bench",
			})
			return err
		},
	}
}

// openCodes opens n requests with 16 goroutines.
func openCodes(ctx context.Context, p plugin.Pairing, prefix string, n int) ([]plugin.PendingRequest, error) {
	codes := make([]plugin.PendingRequest, n)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for g := range errs {
		wg.Go(func() {
			for i := g; i < n && errs[g] == nil; i += len(errs) {
				codes[i], _, errs[g] = p.GenerateCode(ctx, plugin.CodeRequest{
					ChannelType: fmt.Sprint("approve", i%100), ChannelID: fmt.Sprint(prefix, i),
				})
			}
		})
	}
	wg.Wait()
	return codes, errors.Join(errs...)
}

// bindWork binds a new session key per operation.
func bindWork(_ plugin.Pairing, s plugin.Sessions, _ plugin.Pairing) workload {
	var keys []string
	return workload{
		prepare: func(_ context.Context, n int) error {
			keys = sessionKeys(fmt.Sprint("b", round.Add(1), "-"), n)
			return nil
		},
		op: func(ctx context.Context, i int) error {
			return s.Bind(ctx, keys[i], benchPrincipal, time.Now().Add(time.Hour))
		},
	}
}

// lookupWork looks up 1000 bound sessions in turn.
func lookupWork(_ plugin.Pairing, s plugin.Sessions, _ plugin.Pairing) workload {
	keys := sessionKeys("lookup-", pairedChannels)
	var once sync.Once
	var bindErr error
	return workload{
		prepare: func(ctx context.Context, _ int) error {
			once.Do(func() {
				for _, k := range keys {
					if bindErr = s.Bind(ctx, k, benchPrincipal, time.Now().Add(time.Hour)); bindErr != nil {
						return
					}
				}
			})
			return bindErr
		},
		op: func(ctx context.Context, i int) error {
			_, _, err := s.Lookup(ctx, keys[i%len(keys)])
			return err
		},
	}
}

// sessionKeys returns n session keys as the host derives them.
func sessionKeys(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = server.SessionKey(fmt.Sprint(prefix, i))
	}
	return keys
}
