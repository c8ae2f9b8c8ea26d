package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
)

// shortTimeouts makes a store give up quickly on a silent server.
func shortTimeouts(cfg Config) Config {
	cfg.DialTimeout = plugin.Duration(300 * time.Millisecond)
	cfg.ReadTimeout = plugin.Duration(300 * time.Millisecond)
	cfg.WriteTimeout = plugin.Duration(300 * time.Millisecond)
	return cfg
}

// outageHandles are the same Redis seen in process and through the gRPC
// adapters.
type outageHandles struct {
	name     string
	pairing  plugin.Pairing
	sessions plugin.Sessions
}

func openOutageHandles(t *testing.T, cfg Config) []outageHandles {
	s := open(t, cfg)
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return []outageHandles{
		{"direct", s, s},
		{"wire", connect(t, plugin.ProtocolPairing, raw).Pairing(), connect(t, plugin.ProtocolSession, raw).Sessions()},
	}
}

// TestRedisStoppedUnderTraffic stops Redis while readers run: every
// answer is either right or ErrUnavailable, and once Redis is back the
// same stores answer again without being reopened.
func TestRedisStoppedUnderTraffic(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Persist: true})
	b := newBackend(t, "persistent", []string{r.Addr}, "", "")
	cfg := shortTimeouts(b.config(t))
	handles := openOutageHandles(t, cfg)
	seedPairedAndSession(t, handles[0])

	var unavailable, ok atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, h := range handles {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				checkAnswers(t, h, &ok, &unavailable)
			}
		})
	}

	waitUntil(t, "traffic answered", func() bool { return ok.Load() > 0 })
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	before := unavailable.Load()
	waitUntil(t, "calls fail while Redis is down", func() bool { return unavailable.Load() > before+10 })
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	after := ok.Load()
	waitUntil(t, "calls succeed after Redis returns", func() bool { return ok.Load() > after+10 })
	close(stop)
	wg.Wait()

	for _, h := range handles {
		if _, _, err := h.pairing.GenerateCode(t.Context(), plugin.CodeRequest{ChannelType: "tg", ChannelID: h.name}); err != nil {
			t.Errorf("%s: GenerateCode after restart = %v", h.name, err)
		}
	}
}

func seedPairedAndSession(t *testing.T, h outageHandles) {
	t.Helper()
	ctx := t.Context()
	pr, _, err := h.pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "tg", ChannelID: "paired"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: pr.Code}); err != nil {
		t.Fatal(err)
	}
	if err := h.sessions.Bind(ctx, "live", plugin.Principal{UserID: "ann"}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// checkAnswers asks one round of questions and fails the test on a wrong
// answer or on an error other than ErrUnavailable.
func checkAnswers(t *testing.T, h outageHandles, ok, unavailable *atomic.Int64) {
	ctx := t.Context()
	count := func(what string, err error) bool {
		switch {
		case err == nil:
			ok.Add(1)
			return true
		case errors.Is(err, plugin.ErrUnavailable):
			unavailable.Add(1)
		default:
			t.Errorf("%s: %s = %v, want nil or ErrUnavailable", h.name, what, err)
		}
		return false
	}

	if paired, err := h.pairing.IsPaired(ctx, "paired", "tg"); count("IsPaired(paired)", err) && !paired {
		t.Errorf("%s: IsPaired(paired) = false", h.name)
	}
	if paired, err := h.pairing.IsPaired(ctx, "stranger", "tg"); count("IsPaired(stranger)", err) && paired {
		t.Errorf("%s: IsPaired(stranger) = true", h.name)
	}
	p, _, err := h.sessions.Lookup(ctx, "live")
	if count("Lookup(live)", err) && p.UserID != "ann" {
		t.Errorf("%s: Lookup(live) = %q, want ann", h.name, p.UserID)
	}
	_, _, err = h.sessions.Lookup(ctx, "forged")
	if !errors.Is(err, plugin.ErrNotFound) {
		count("Lookup(forged)", err)
	}
}

// TestServerStopsAnswering pauses redis-server with SIGSTOP, so that the
// connection stays open and a command gets no reply: the call must still
// return, as unavailable, instead of waiting for ever.
func TestServerStopsAnswering(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	b := newBackend(t, "paused", []string{r.Addr}, "", "")
	for _, h := range openOutageHandles(t, shortTimeouts(b.config(t))) {
		t.Run(h.name, func(t *testing.T) {
			if _, err := h.pairing.IsPaired(t.Context(), "x", "tg"); err != nil {
				t.Fatalf("IsPaired before pause = %v", err)
			}
			if err := r.Pause(); err != nil {
				t.Fatal(err)
			}
			resumed := false
			t.Cleanup(func() {
				if !resumed {
					r.Resume()
				}
			})

			for _, call := range pausedCalls(h) {
				if err := boundedCall(t, call.do); !errors.Is(err, plugin.ErrUnavailable) {
					t.Errorf("%s on a paused server = %v, want ErrUnavailable", call.name, err)
				}
			}

			resumed = r.Resume() == nil
			waitUntil(t, "IsPaired after resume", func() bool {
				_, err := h.pairing.IsPaired(t.Context(), "x", "tg")
				return err == nil
			})
		})
	}
}

type namedCall struct {
	name string
	do   func(ctx context.Context) error
}

func pausedCalls(h outageHandles) []namedCall {
	return []namedCall{
		{"IsPaired", func(ctx context.Context) error { _, err := h.pairing.IsPaired(ctx, "x", "tg"); return err }},
		{"Approve", func(ctx context.Context) error {
			_, err := h.pairing.Approve(ctx, plugin.Approval{ChannelType: "tg", Code: "ABCDEFGH"})
			return err
		}},
		{"Lookup", func(ctx context.Context) error { _, _, err := h.sessions.Lookup(ctx, "k"); return err }},
	}
}

// boundedCall runs do with a context without deadline and fails the test
// if it has not returned after a minute: only the store's own timeouts
// can end it.
func boundedCall(t *testing.T, do func(ctx context.Context) error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- do(context.WithoutCancel(t.Context())) }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("call on a paused server did not return within a minute")
		return nil
	}
}
