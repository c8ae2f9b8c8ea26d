package ldapauth

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

func TestInjectionNeverAuthenticates(t *testing.T) {
	d := startDirectory(t)
	c := searchConfig(d)
	c.DefaultRole = "user"
	a, _ := newAuth(t, c)

	logins := []string{
		"*", "**", "a*", "ali*", "*lice", "alice*", "admin*",
		"admin)(|(uid=*", "alice)(uid=*", "*)(uid=*))(|(uid=*",
		"(uid=alice)", ")(", `\2a`, `alice\00`, "alice\x00", "admin\x00x",
		"*)(objectClass=*", "admin)(!(uid=x", "uid=alice,ou=people,dc=example,dc=org",
		"alice,ou=people", " alice", "alice ", "#alice", "\u202ealice",
		strings.Repeat("a", 300),
	}
	passwords := []string{"pw-alice", "pw-admin", "*", "x"}
	for _, login := range logins {
		for _, pw := range passwords {
			t.Run(strconv.Quote(login)+"/"+pw, func(t *testing.T) {
				res := check(t, a, login, pw)
				mustDeny(t, login, res)
				if strings.Contains(res.Reason, pw) && len(pw) > 1 {
					t.Errorf("Check(%q) reason %q quotes the password", login, res.Reason)
				}
			})
		}
	}
}

func TestBlankPasswordNeverReachesTheNetwork(t *testing.T) {
	accepts := countingListener(t)
	c := Config{URL: []string{"ldap://" + accepts.addr}, BindDN: serviceDN, BindPass: servicePass, UserDN: peopleDN}
	a, _ := newAuth(t, c)

	for _, pw := range []string{"", " ", "\t", "\r\n", "\u00a0", "\u2003 "} {
		t.Run(strconv.Quote(pw), func(t *testing.T) {
			res := check(t, a, "alice", pw)
			mustDeny(t, "alice", res)
			if res.Reason != "empty password" {
				t.Errorf("Check(alice, %q) reason = %q, want %q", pw, res.Reason, "empty password")
			}
		})
	}
	if n := accepts.n.Load(); n != 0 {
		t.Errorf("blank passwords opened %d connections, want 0", n)
	}
}

func TestFailuresLookAlike(t *testing.T) {
	d := startDirectory(t)
	a, _ := newAuth(t, searchConfig(d))
	check(t, a, "alice", "pw-alice") // warm the pools

	tests := []struct {
		name, login, password, why string
	}{
		{"wrong password", "alice", "pw-bob", "invalid credentials"},
		{"unknown user", "nobody", "pw-alice", "unknown user"},
		{"locked account", "locked", "pw-locked", "locked"},
		{"two entries", "twin", "pw-twin", "2 or more entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bindCount(t, d)
			res := check(t, a, tt.login, tt.password)
			binds := bindsSince(t, d, before)

			mustDeny(t, tt.login, res)
			if !strings.Contains(res.Reason, tt.why) {
				t.Errorf("Check(%q) reason = %q, want it to contain %q", tt.login, res.Reason, tt.why)
			}
			res.Reason = ""
			if want := (plugin.CheckResult{Outcome: plugin.OutcomeFailure}); !equalResult(res, want) {
				t.Errorf("Check(%q) without reason = %+v, want %+v", tt.login, res, want)
			}
			// Every failure costs exactly one user bind on the server.
			if binds != 1 {
				t.Errorf("Check(%q) made %d binds, want 1", tt.login, binds)
			}
		})
	}
}

func TestCredentialSchemes(t *testing.T) {
	a, _ := newAuth(t, Config{URL: []string{"ldap://127.0.0.1:1"}, UserDN: peopleDN})

	tests := []struct {
		name    string
		headers []string
		want    plugin.Outcome
	}{
		{"none", nil, plugin.OutcomeNoCredential},
		{"bearer", []string{"Bearer abc"}, plugin.OutcomeNoCredential},
		{"malformed base64", []string{"Basic !!!"}, plugin.OutcomeFailure},
		{"no colon", []string{"Basic YWxpY2U="}, plugin.OutcomeFailure},
		{"two basic", []string{"Basic YTpi", "basic YzpK"}, plugin.OutcomeFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add("Authorization", v)
			}
			res, err := a.Check(t.Context(), &plugin.CheckRequest{Header: h})
			if err != nil || res.Outcome != tt.want {
				t.Errorf("Check(%q) = %+v, %v, want outcome %v", tt.headers, res, err, tt.want)
			}
		})
	}
}

func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	d := startDirectory(t)
	const badPass = "s3cret-service-pass"

	good := searchConfig(d)
	good.URL = []string{"ldap://" + refusingAddr(t), d.URL}
	a, logs := newAuth(t, good)
	bad := searchConfig(d)
	bad.BindPass = badPass
	b, badLogs := newAuth(t, bad)

	reasons := []string{
		check(t, a, "alice", "pw-alice").Reason,
		check(t, a, "alice", "user-secret-1").Reason,
		check(t, a, "nobody", "user-secret-2").Reason,
		check(t, b, "alice", "user-secret-3").Reason,
	}
	_, err := New(Config{URL: []string{"ldap://x"}, BindPass: badPass}, nil)
	if err == nil {
		t.Fatal("New(bind_pass without bind_dn) succeeded")
	}

	text := strings.Join(append(reasons, err.Error(), logs.String(), badLogs.String()), "\n")
	if !strings.Contains(text, "unavailable") || !strings.Contains(logs.String(), "ldap server failed") {
		t.Fatalf("the failover and the bad service account left no trace:\n%s", text)
	}
	for _, secret := range []string{servicePass, badPass, "pw-alice", "user-secret-1", "user-secret-2", "user-secret-3"} {
		if strings.Contains(text, secret) {
			t.Errorf("secret %q appears in logs or errors:\n%s", secret, text)
		}
	}
}

func equalResult(a, b plugin.CheckResult) bool {
	return a.Outcome == b.Outcome && a.Reason == b.Reason && a.Principal.UserID == b.Principal.UserID &&
		a.Principal.Role == b.Principal.Role && len(a.Principal.Metadata) == len(b.Principal.Metadata)
}

// bindCount reads the number of completed binds from slapd's monitor.
func bindCount(t *testing.T, d *testenv.Slapd) int {
	t.Helper()
	c, err := ldap.DialURL(d.URL)
	if err != nil {
		t.Fatalf("dial monitor: %v", err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest("cn=Bind,cn=Operations,cn=Monitor", ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"monitorOpCompleted"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read bind count: %v", err)
	}
	n, err := strconv.Atoi(res.Entries[0].GetAttributeValue("monitorOpCompleted"))
	if err != nil {
		t.Fatalf("bind count: %v", err)
	}
	return n
}

// bindsSince returns the binds slapd completed since before. slapd counts
// an operation after it has sent the result, so the count may lag the
// client by a moment: wait for it to move, up to a bound.
func bindsSince(t *testing.T, d *testenv.Slapd, before int) int {
	t.Helper()
	n := bindCount(t, d) - before
	for deadline := time.Now().Add(10 * time.Second); n == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		n = bindCount(t, d) - before
	}
	return n
}

// listener counts the connections it accepts and never answers.
type listener struct {
	addr string
	n    atomic.Int64
}

// countingListener accepts connections, counts them and stays silent
// until the test ends: a server that hangs, which slapd cannot be made to
// do on demand.
func countingListener(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	l := &listener{addr: ln.Addr().String()}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.n.Add(1)
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l
}

// refusingAddr returns a loopback address where nothing listens.
func refusingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
