package ratelimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startLimited serves an echo of the request body with lim applied.
func startLimited(t *testing.T, lim ServerLimits) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if IsTooLarge(err) {
			TooLarge(w)
			return
		}
		_, _ = w.Write(body)
	})}
	lim.Apply(s)
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

func TestSizeLimits(t *testing.T) {
	addr := startLimited(t, ServerLimits{MaxHeaderBytes: 4 << 10, MaxBodyBytes: 1 << 10})
	tests := []struct {
		name       string
		header     string
		body       string
		chunked    bool
		wantStatus int
	}{
		{"small", "x", "hello", false, 200},
		{"header too large", strings.Repeat("h", 16<<10), "", false, 431},
		{"declared body too large", "x", strings.Repeat("b", 2<<10), false, 413},
		{"chunked body too large", "x", strings.Repeat("b", 2<<10), true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			req.Header.Set("X-Big", tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
}

func TestSlowClientDropped(t *testing.T) {
	addr := startLimited(t, ServerLimits{ReadHeaderTimeout: 100 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Half a request line, then nothing: a slowloris client.
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// A generous deadline only guards against a hang.
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = bufio.NewReader(c).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server kept a slow client's connection open; want it closed")
	}
}

func TestApplyDefaultsReadHeaderTimeout(t *testing.T) {
	s := &http.Server{}
	ServerLimits{}.Apply(s)
	if s.ReadHeaderTimeout != DefaultReadHeaderTimeout {
		t.Errorf("ReadHeaderTimeout = %v, want %v", s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	}
}
