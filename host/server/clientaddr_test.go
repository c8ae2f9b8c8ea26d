package server

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/gatehouse/gatehouse/host/ratelimit"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9:5000", nil, "203.0.113.9:5000"},
		{"untrusted peer keeps its address", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:5000"},
		{"trusted proxy", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"chain of trusted proxies", "127.0.0.1:4000", []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1:0"},
		{"spoofed left-most entry ignored", "127.0.0.1:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"several headers", "127.0.0.1:4000", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1:0"},
		{"garbage keeps the proxy", "127.0.0.1:4000", []string{"not-an-ip"}, "127.0.0.1:4000"},
		{"only trusted hops", "127.0.0.1:4000", []string{"10.0.0.1"}, "127.0.0.1:4000"},
		{"ipv6 client", "127.0.0.1:4000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, trusted).RemoteAddr; got != tt.want {
				t.Errorf("clientAddr(%s, %q) = %s, want %s", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := clientAddr(r, nil).RemoteAddr; got != "127.0.0.1:4000" {
		t.Errorf("clientAddr without trusted proxies = %s, want the peer", got)
	}
}

// TestLoginLimitBehindTrustedProxy pins that behind a trusted proxy the
// login limit counts each client apart, and that without the setting
// every client shares the proxy's address.
func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	for _, trust := range []bool{true, false} {
		e := newEnv(t, func(o *Options) {
			o.Edge.Limits = ratelimit.New(ratelimit.Config{LoginPerMinute: 1, Burst: 2})
			if trust {
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}
		})
		login := func(client string) int {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+"/v1/login", nil)
			req.Header.Set("Authorization", "Bearer ght_wrong")
			req.Header.Set("X-Forwarded-For", client)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for range 2 {
			login("198.51.100.1")
		}
		if got := login("198.51.100.1"); got != http.StatusTooManyRequests {
			t.Errorf("trust=%v: third failed login from one client = %d, want 429", trust, got)
		}
		want := http.StatusUnauthorized
		if !trust {
			want = http.StatusTooManyRequests
		}
		if got := login("198.51.100.2"); got != want {
			t.Errorf("trust=%v: failed login from another client = %d, want %d", trust, got, want)
		}
	}
}
