package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugins/token-auth/tokens"
)

// e2eConfig is token auth with pairing and sessions on one Redis, logged
// in as an ACL user confined to the key prefix; the password comes from
// the environment. The limit on failed approvals is off: the race below
// makes 49 of them on purpose.
const e2eConfig = `
rate_limit {
  approve_per_minute = 0
}

auth "tokens" {
  plugin = "token-auth"
  config {
    tokens_file = %[1]q
  }
}

pairing "redis" {
  plugin = "redis"
  config {%[2]s}
}

session "redis" {
  plugin = "redis"
  config {%[2]s}
}
`

const redisBlock = `
    addresses     = [%q]
    username      = "gh"
    password      = env("REDIS_PASSWORD")
    key_prefix    = "gatehouse:e2e:"
    dial_timeout  = "500ms"
    read_timeout  = "500ms"
    write_timeout = "500ms"
  `

// cluster is two hosts on one Redis with a token per role.
type cluster struct {
	redis    *testenv.Redis
	hosts    [2]*testenv.Host
	operator string
	channel  string
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	const password = "e2e-redis-pass"
	c := &cluster{redis: testenv.StartRedis(t, testenv.RedisOptions{
		User: "gh", Password: password, KeyPrefix: "gatehouse:", Persist: true,
	})}
	file := filepath.Join(t.TempDir(), "tokens.jsonl")
	c.operator = mint(t, file, "alice", "operator")
	c.channel = mint(t, file, "adapter", "channel")

	conf := fmt.Sprintf(e2eConfig, file, fmt.Sprintf(redisBlock, c.redis.Addr))
	for i := range c.hosts {
		c.hosts[i] = testenv.StartHost(t, conf, "REDIS_PASSWORD="+password)
	}
	return c
}

func mint(t *testing.T, file, user, role string) string {
	t.Helper()
	token, _, err := tokens.Mint(file, user, role, time.Now())
	if err != nil {
		t.Fatalf("Mint(%s) = %v", user, err)
	}
	return token
}

// do sends a JSON request with a bearer token and returns the status and
// body. A transport error is reported as status 0.
func do(t *testing.T, h *testenv.Host, method, path, token string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.URL+path, rd)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// expect sends a request and fails the test unless it answers want;
// the body is decoded into out when out is not nil.
func expect(t *testing.T, h *testenv.Host, want int, method, path, token string, body, out any) {
	t.Helper()
	got, raw := do(t, h, method, path, token, body)
	if got != want {
		t.Fatalf("%s %s on %s = %d %s, want %d", method, path, h.Addr, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

func statusPath(typ, id string) string {
	return "/v1/pairing/status?channel_type=" + typ + "&channel_id=" + id
}

// paired asks h whether the channel is paired.
func (c *cluster) paired(t *testing.T, h *testenv.Host, typ, id string) bool {
	t.Helper()
	var st struct{ Paired bool }
	expect(t, h, http.StatusOK, "GET", statusPath(typ, id), c.channel, nil, &st)
	return st.Paired
}

// open opens a pairing request through h and returns its code.
func (c *cluster) open(t *testing.T, h *testenv.Host, typ, id string) string {
	t.Helper()
	var r server.OpenResponse
	in := server.OpenRequest{ChannelType: typ, ChannelID: id, UserName: "Bob"}
	expect(t, h, http.StatusCreated, "POST", "/v1/pairing/requests", c.channel, in, &r)
	return r.Code
}

// TestTwoHosts runs two gatehouse hosts on one Redis and checks that
// they share pairings and sessions at once.
func TestTwoHosts(t *testing.T) {
	c := startCluster(t)
	a, b := c.hosts[0], c.hosts[1]

	t.Run("opened on A, approved on B, paired on both", func(t *testing.T) {
		code := c.open(t, a, "telegram", "100")
		var again server.OpenResponse
		in := server.OpenRequest{ChannelType: "telegram", ChannelID: "100"}
		expect(t, b, http.StatusOK, "POST", "/v1/pairing/requests", c.channel, in, &again)
		if again.Code != code || !again.Reused {
			t.Errorf("request on B = %+v, want code %s reused", again, code)
		}
		approve := server.ApproveRequest{ChannelType: "telegram", Code: code, UserName: "Bob's chat"}
		expect(t, b, http.StatusOK, "POST", "/v1/pairing/approve", c.operator, approve, nil)
		for _, h := range c.hosts {
			if !c.paired(t, h, "telegram", "100") {
				t.Errorf("status on %s after approval on B = false, want true", h.Addr)
			}
		}
	})

	t.Run("revoke on B takes effect on A", func(t *testing.T) {
		rv := server.RevokeRequest{ChannelType: "telegram", ChannelID: "100"}
		expect(t, b, http.StatusOK, "POST", "/v1/pairing/revoke", c.operator, rv, nil)
		if c.paired(t, a, "telegram", "100") {
			t.Error("status on A after revoke on B = true, want false")
		}
	})

	t.Run("session opened on A is valid on B until logout on B", func(t *testing.T) {
		var login server.LoginResponse
		expect(t, a, http.StatusOK, "POST", "/v1/login", c.operator, nil, &login)
		var id server.Identity
		expect(t, b, http.StatusOK, "GET", "/v1/whoami", login.Token, nil, &id)
		if id.Principal.UserID != "alice" || id.Via != "session" {
			t.Errorf("whoami on B = %+v, want alice via session", id)
		}
		expect(t, b, http.StatusNoContent, "POST", "/v1/logout", login.Token, nil, nil)
		expect(t, a, http.StatusUnauthorized, "GET", "/v1/whoami", login.Token, nil, nil)
	})

	t.Run("fifty approvals of one code over both hosts, one succeeds", func(t *testing.T) {
		code := c.open(t, a, "telegram", "200")
		counts := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				in := server.ApproveRequest{ChannelType: "telegram", Code: code}
				got, _ := do(t, c.hosts[i%2], "POST", "/v1/pairing/approve", c.operator, in)
				mu.Lock()
				counts[got]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts[http.StatusOK] != 1 || counts[http.StatusNotFound] != 49 {
			t.Errorf("answers to 50 approvals = %v, want one 200 and 49 404", counts)
		}
	})

	t.Run("Redis stopped and restarted under traffic", func(t *testing.T) { testOutage(t, c) })
}
