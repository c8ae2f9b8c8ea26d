package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// loadClient is the keep-alive client of the HTTP measurements: one
// connection per concurrent client stays open.
var loadClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		DisableCompression:  true,
	},
}

// hostConfig is the config of the measured host: token-auth with the
// run's token, SQLite pairing and sessions in the host's directory.
func hostConfig(t operatorToken, dbPath string) string {
	return tokenAuthBlock(t) + sqliteBlocks(dbPath)
}

// endpoint is one HTTP route measured against the bare handler.
type endpoint struct {
	name   string
	path   string
	header http.Header
}

// BenchmarkHTTP measures is-paired, who-am-I and forward-auth through
// the host at several client counts, against a bare Go handler in its
// own process.
func BenchmarkHTTP(b *testing.B) {
	tok := newToken(b)
	h := testenv.StartHost(b, hostConfig(tok, "{{.Dir}}/gatehouse.db"))
	session := login(b, h.URL, tok)
	if err := pairOverHTTP(b.Context(), h.URL, tok, "chat", "c1"); err != nil {
		b.Fatal(err)
	}
	bare := startBare(b)

	for _, e := range []endpoint{
		{"is-paired", "/v1/pairing/status?channel_type=chat&channel_id=c1", authHeader(tok.header())},
		{"who-am-I", "/v1/whoami", authHeader("Bearer " + session)},
		forwardAuthEndpoint(session),
	} {
		b.Run(e.name, func(b *testing.B) {
			for _, c := range clientLevels(b) {
				r := row{section: sectionHTTP, name: "HTTP " + e.name + " (host vs bare handler)", clients: c, unit: throughput}
				pair(b, r, httpWork(h.URL+e.path, e.header), httpWork(bare.URL+e.path, e.header))
			}
		})
	}
}

// forwardAuthEndpoint is the nginx auth_request form of a forward-auth
// call with a session.
func forwardAuthEndpoint(session string) endpoint {
	h := authHeader("Bearer " + session)
	h.Set("X-Original-URI", "/app/dashboard")
	h.Set("X-Original-Method", "GET")
	return endpoint{"forward-auth", server.ForwardAuthPath, h}
}

func authHeader(v string) http.Header {
	return http.Header{"Authorization": {v}}
}

// httpWork sends GET url with header, once per operation.
func httpWork(url string, header http.Header) workload {
	return workload{op: func(ctx context.Context, _ int) error {
		return get(ctx, loadClient, url, header)
	}}
}

// get sends GET url and fails unless the answer is 200. The body is
// read to the end so the connection is reused.
func get(ctx context.Context, c *http.Client, url string, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if header != nil {
		req.Header = header
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// post sends in as a JSON body, none when in is nil, and decodes the JSON answer into out.
func post(ctx context.Context, url string, header http.Header, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, msg)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// login starts a session with the token and returns the session token.
func login(b *testing.B, url string, t operatorToken) string {
	b.Helper()
	var out struct {
		Token string `json:"token"`
	}
	if err := post(b.Context(), url+"/v1/login", authHeader(t.header()), nil, &out); err != nil {
		b.Fatalf("login: %v", err)
	}
	return out.Token
}

// pairOverHTTP opens a request for a channel and approves it.
func pairOverHTTP(ctx context.Context, url string, t operatorToken, typ, id string) error {
	var opened struct {
		Code string `json:"code"`
	}
	h := authHeader(t.header())
	err := post(ctx, url+"/v1/pairing/requests", h,
		map[string]string{"channel_type": typ, "channel_id": id}, &opened)
	if err != nil {
		return err
	}
	var approved map[string]any
	return post(ctx, url+"/v1/pairing/approve", h,
		map[string]string{"channel_type": typ, "code": opened.Code}, &approved)
}
