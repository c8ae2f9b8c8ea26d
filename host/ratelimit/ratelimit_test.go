package ratelimit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/internal/apierr"
)

type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func TestLimiter(t *testing.T) {
	clk := newClock()
	l := NewLimiter(Options{PerMinute: 6, Burst: 3, Now: clk.Now})

	for i := range 3 {
		if wait, ok := l.Check("k"); !ok {
			t.Fatalf("Check before failure %d = %v, false; want true", i+1, wait)
		}
		l.Fail("k")
	}
	wait, ok := l.Check("k")
	if ok || wait != 10*time.Second {
		t.Fatalf("Check after the burst = %v, %v; want 10s, false", wait, ok)
	}
	if _, ok := l.Check("other"); !ok {
		t.Errorf("Check(other) = false; want keys to be independent")
	}
	clk.Advance(10 * time.Second)
	if wait, ok := l.Check("k"); !ok {
		t.Errorf("Check after 10s = %v, false; want true", wait)
	}
}

func TestLimiterOff(t *testing.T) {
	l := NewLimiter(Options{})
	l.Fail("k")
	if _, ok := l.Check("k"); !ok || l != nil {
		t.Errorf("a zero-rate limiter refused or was not nil")
	}
}

func TestLimiterBounded(t *testing.T) {
	l := NewLimiter(Options{PerMinute: 1, MaxKeys: 4})
	for i := range 20 {
		l.Fail(fmt.Sprint("k", i))
	}
	if l.Len() != 4 {
		t.Errorf("Len() = %d, want 4", l.Len())
	}
	if _, ok := l.Check("k19"); ok {
		t.Errorf("Check(newest key) = true, want it still limited")
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7:5555", "addr:192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "addr:2001:db8:1:2::"},
		{"[2001:db8:1:2:ffff::1]:443", "addr:2001:db8:1:2::"},
		{"not-an-addr", "addr:not-an-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := AddrKey(tt.in); got != tt.want {
				t.Errorf("AddrKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// approveServer fails every approval except code GOOD; the approver is
// named by the X-Test-User header and the client address by
// X-Test-Addr, standing in for the host's session lookup.
func approveServer(t *testing.T, g *Guard) *httptest.Server {
	t.Helper()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("code") != "GOOD" {
			apierr.Write(w, http.StatusNotFound, apierr.CodeNotFound, "no such code")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	principal := func(r *http.Request) string { return r.Header.Get("X-Test-User") }
	mw := Middleware(g.Approve, ApproveKeys(principal), FailedApproval)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = r.Header.Get("X-Test-Addr") + ":1"
		mw(handler).ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func approve(t *testing.T, s *httptest.Server, user, addr, channelType, code string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST",
		s.URL+"/v1/pairing/"+channelType+"/approve?code="+code, nil)
	req.Header.Set("X-Test-User", user)
	req.Header.Set("X-Test-Addr", addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestApproveLimits(t *testing.T) {
	clk := newClock()
	s := approveServer(t, New(Config{ApprovePerMinute: 2, Burst: 2, Now: clk.Now}))

	// mallory guesses codes for telegram from 192.0.2.66.
	for i, want := range []int{404, 404, 429} {
		if got := approve(t, s, "mallory", "192.0.2.66", "telegram", "BAD").StatusCode; got != want {
			t.Fatalf("guess %d status = %d, want %d", i+1, got, want)
		}
	}

	tests := []struct {
		name, user, addr, channelType, code string
		want                                int
		wantRetry                           string
	}{
		{"same principal, other address", "mallory", "198.51.100.1", "telegram", "GOOD", 429, "30"},
		{"other principal, same address", "olivia", "192.0.2.66", "telegram", "GOOD", 429, "30"},
		{"same channel type, other owner", "olivia", "198.51.100.2", "telegram", "GOOD", 204, ""},
		{"other owner may still fail", "oscar", "198.51.100.3", "telegram", "BAD", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := approve(t, s, tt.user, tt.addr, tt.channelType, tt.code)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
		})
	}

	clk.Advance(30 * time.Second)
	if got := approve(t, s, "mallory", "192.0.2.66", "telegram", "BAD").StatusCode; got != 404 {
		t.Errorf("after Retry-After: status = %d, want 404", got)
	}
}

func TestLoginLimits(t *testing.T) {
	clk := newClock()
	g := New(Config{LoginPerMinute: 1, Burst: 1, Now: clk.Now})
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != "right" {
			apierr.Write(w, http.StatusUnauthorized, apierr.CodeUnauthenticated, "wrong")
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	s := httptest.NewServer(Middleware(g.Login, LoginKeys, FailedLogin)(login))
	t.Cleanup(s.Close)

	do := func(user, pass string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/v1/login", nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == 429 {
			var e apierr.Body
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error.Code != apierr.CodeRateLimited {
				t.Errorf("429 body code = %q, %v; want %q", e.Error.Code, err, apierr.CodeRateLimited)
			}
		}
		return resp
	}
	for i, want := range []int{401, 429, 429} {
		if got := do("alice", "wrong").StatusCode; got != want {
			t.Fatalf("attempt %d status = %d, want %d", i+1, got, want)
		}
	}
	if resp := do("alice", "right"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("right password while limited = %d Retry-After %q, want 429 and 60", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	clk.Advance(time.Minute)
	if got := do("alice", "right").StatusCode; got != 200 {
		t.Errorf("after a minute: status = %d, want 200", got)
	}
	if got := do("alice", "right").StatusCode; got != 200 {
		t.Errorf("successes spend nothing: status = %d, want 200", got)
	}
}

func TestRefuseRoundsUp(t *testing.T) {
	rec := httptest.NewRecorder()
	Refuse(rec, 1500*time.Millisecond)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" || !strings.Contains(rec.Body.String(), "rate_limited") {
		t.Errorf("Refuse(1.5s) = %d, Retry-After %q, body %s; want 429, 2, rate_limited", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}
