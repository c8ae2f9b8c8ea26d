package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

// Generous bounds that only keep a broken test from hanging.
const (
	shortTimeout = plugin.Duration(300 * time.Millisecond)
	hangGuard    = 30 * time.Second
)

func TestFailover(t *testing.T) {
	d := startDirectory(t)
	hung := countingListener(t)
	dropping := droppingListener(t)

	tests := []struct {
		name     string
		urls     []string
		wantOK   bool
		wantLogs string
	}{
		{"first refuses", []string{"ldap://" + refusingAddr(t), d.URL}, true, "connection refused"},
		{"first hangs", []string{"ldap://" + hung.addr, d.URL}, true, "timed out"},
		{"first hangs in TLS handshake", []string{"ldaps://" + hung.addr, d.URL}, true, "tls handshake"},
		{"first drops the connection", []string{"ldap://" + dropping, d.URL}, true, "ldap server failed"},
		{"all hang", []string{"ldap://" + hung.addr, "ldap://" + hung.addr}, false, "timed out"},
		{"all refuse", []string{"ldap://" + refusingAddr(t)}, false, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := searchConfig(d)
			c.URL = tt.urls
			c.RequestTimeout, c.ConnectionTimeout = shortTimeout, shortTimeout
			a, logs := newAuth(t, c)

			ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
			defer cancel()
			res, err := a.Check(ctx, basicRequest("alice", "pw-alice"))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := res.Outcome == plugin.OutcomeSuccess; got != tt.wantOK {
				t.Fatalf("Check = %+v, want success %v", res, tt.wantOK)
			}
			if !tt.wantOK && !strings.Contains(res.Reason, "directory unavailable") {
				t.Errorf("Check reason = %q, want directory unavailable", res.Reason)
			}
			if trace := logs.String() + res.Reason; !strings.Contains(trace, tt.wantLogs) {
				t.Errorf("logs and reason lack %q:\n%s", tt.wantLogs, trace)
			}
		})
	}
}

func TestCallerDeadlineBoundsAHungServer(t *testing.T) {
	hung := countingListener(t)
	c := Config{URL: []string{"ldap://" + hung.addr}, BindDN: serviceDN, BindPass: servicePass, UserDN: peopleDN}
	c.RequestTimeout = plugin.Duration(time.Hour)
	a, _ := newAuth(t, c)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	done := make(chan plugin.CheckResult, 1)
	go func() {
		res, _ := a.Check(ctx, basicRequest("alice", "pw-alice"))
		done <- res
	}()
	select {
	case res := <-done:
		mustDeny(t, "alice", res)
	case <-time.After(hangGuard):
		t.Fatal("Check ignored the caller's deadline")
	}
}

func TestTLS(t *testing.T) {
	d := startDirectory(t)
	ca, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := os.ReadFile(d.ClientCertFile)
	key, _ := os.ReadFile(d.ClientKeyFile)
	ldaps := []string{d.LDAPSURL}
	localhost := []string{strings.Replace(d.URL, "127.0.0.1", "localhost", 1)}

	tests := []struct {
		name    string
		edit    func(*Config)
		wantOK  bool
		wantWhy string
	}{
		{"starttls with the test CA", func(c *Config) { c.StartTLS, c.Certificate = true, string(ca) }, true, ""},
		{"starttls by host name", func(c *Config) { c.URL, c.StartTLS, c.Certificate = localhost, true, string(ca) }, true, ""},
		{"ldaps with the test CA", func(c *Config) { c.URL, c.Certificate = ldaps, string(ca) }, true, ""},
		{"ldaps with a client certificate", func(c *Config) {
			c.URL, c.Certificate, c.ClientTLSCert, c.ClientTLSKey = ldaps, string(ca), string(cert), string(key)
		}, true, ""},
		{"ldaps, untrusted", func(c *Config) { c.URL = ldaps }, false, "certificate"},
		{"starttls, untrusted", func(c *Config) { c.StartTLS = true }, false, "certificate"},
		{"ldaps, wrong name", func(c *Config) {
			c.URL, c.Certificate, c.TLSServerName = ldaps, string(ca), "ldap.other.example"
		}, false, "certificate"},
		{"ldaps, insecure switch", func(c *Config) { c.URL, c.InsecureTLS = ldaps, true }, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := searchConfig(d)
			tt.edit(&c)
			a, logs := newAuth(t, c)
			res := check(t, a, "alice", "pw-alice")
			if got := res.Outcome == plugin.OutcomeSuccess; got != tt.wantOK {
				t.Fatalf("Check = %+v, want success %v", res, tt.wantOK)
			}
			if !strings.Contains(res.Reason, tt.wantWhy) {
				t.Errorf("Check reason = %q, want it to contain %q", res.Reason, tt.wantWhy)
			}
			if c.InsecureTLS && !strings.Contains(logs.String(), "insecure_tls") {
				t.Errorf("insecure_tls logged no warning:\n%s", logs)
			}
		})
	}
}

func TestPoolReusesConnections(t *testing.T) {
	d := startDirectory(t)
	a, _ := newAuth(t, searchConfig(d))

	check(t, a, "alice", "pw-alice")
	before := bindCount(t, d)
	for range 5 {
		if res := check(t, a, "alice", "pw-alice"); res.Outcome != plugin.OutcomeSuccess {
			t.Fatalf("Check = %+v, want success", res)
		}
	}
	// One user bind per login; the service account stays bound.
	if got := bindCount(t, d) - before; got != 5 {
		t.Errorf("5 logins made %d binds, want 5", got)
	}

	// A pooled connection that went bad while idle is replaced.
	a.Close()
	for _, sv := range a.servers {
		sv.search <- brokenConn(t)
	}
	if res := check(t, a, "alice", "pw-alice"); res.Outcome != plugin.OutcomeSuccess {
		t.Errorf("Check after a stale connection = %+v, want success", res)
	}
}

// brokenConn is an LDAP connection that looks open but whose writes
// fail, like one the server closed while it sat in the pool.
func brokenConn(t *testing.T) *ldap.Conn {
	t.Helper()
	local, remote := net.Pipe()
	t.Cleanup(func() { remote.Close() })
	c := ldap.NewConn(failingWrites{local}, false)
	c.Start()
	t.Cleanup(func() { c.Close() })
	return c
}

type failingWrites struct{ net.Conn }

func (failingWrites) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// droppingListener accepts connections and closes them at once.
func droppingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func TestConcurrentLogins(t *testing.T) {
	d := startDirectory(t)
	a, _ := newAuth(t, searchConfig(d))
	users := map[string]string{"alice": "pw-alice", "admin": "pw-admin", `star*(paren)\back`: "pw-star", "nobody": "x"}

	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for login, pw := range users {
		for range 8 {
			wg.Go(func() {
				res, err := a.Check(t.Context(), basicRequest(login, pw))
				ok := err == nil && res.Outcome == plugin.OutcomeSuccess && strings.EqualFold(res.Principal.UserID, login)
				if ok == (login == "nobody") {
					errs <- fmt.Sprintf("Check(%q) = %+v, %v", login, res, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
