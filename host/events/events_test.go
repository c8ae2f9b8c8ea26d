package events

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/google/go-cmp/cmp"
)

// sseEvent is one parsed event-stream record.
type sseEvent struct {
	ID, Type, Data string
}

// stream is a client reading an event stream.
type stream struct {
	r    *bufio.Reader
	resp *http.Response
}

func subscribe(t *testing.T, url, lastID string) *stream {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	return &stream{r: bufio.NewReader(resp.Body), resp: resp}
}

// next returns the next event, or a comment as Type ":" with its text.
func (s *stream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev != (sseEvent{}):
			return ev
		case strings.HasPrefix(line, ": "):
			return sseEvent{Type: ":", Data: line[2:]}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = line[6:]
		}
	}
}

// nextEvent skips heartbeats and the retry line.
func (s *stream) nextEvent(t *testing.T) sseEvent {
	t.Helper()
	for {
		if ev := s.next(t); ev.Type != ":" && ev.Type != "" {
			return ev
		}
	}
}

func newServer(t *testing.T, o Options) (*Broker, string) {
	t.Helper()
	b := New(o)
	s := httptest.NewServer(b)
	t.Cleanup(s.Close)
	t.Cleanup(b.Close)
	return b, s.URL
}

// waitSubscribers waits until n streams are registered, so a publish is
// not raced by a subscription still on its way.
func waitSubscribers(t *testing.T, b *Broker, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for b.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("Subscribers() = %d, want %d", b.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPairingStory(t *testing.T) {
	b, url := newServer(t, Options{})
	s := subscribe(t, url, "")
	waitSubscribers(t, b, 1)

	pr := plugin.PendingRequest{Code: "ABCD2345", ChannelType: "telegram", ChannelID: "42"}
	pc := plugin.PairedChannel{ChannelID: "42", ChannelType: "telegram", ApprovedBy: "olivia"}
	story := []struct {
		typ  string
		data any
	}{
		{TypeRequested, pr}, {TypeApproved, pc}, {TypeRequested, pr}, {TypeDenied, pr}, {TypeRevoked, pc},
	}
	var want []sseEvent
	for i, st := range story {
		if _, err := b.Publish(st.typ, st.data); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(st.data)
		want = append(want, sseEvent{ID: string(rune('1' + i)), Type: st.typ, Data: string(raw)})
	}
	var got []sseEvent
	for range story {
		got = append(got, s.nextEvent(t))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events seen (-want +got):\n%s", diff)
	}
}

func TestResume(t *testing.T) {
	b, url := newServer(t, Options{History: 3})
	for i := range 5 {
		_, _ = b.Publish(TypeRequested, map[string]int{"n": i})
	}
	tests := []struct {
		name, lastID string
		wantFirst    string
	}{
		{"inside the ring", "3", "4"},
		{"older than the ring", "1", "3"},
		{"from another process", "99", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := subscribe(t, url, tt.lastID)
			if got := s.nextEvent(t).ID; got != tt.wantFirst {
				t.Errorf("first event after Last-Event-ID %s = %s, want %s", tt.lastID, got, tt.wantFirst)
			}
		})
	}
}

func TestSlowSubscriberDropped(t *testing.T) {
	b := New(Options{Buffer: 2})
	slow, _ := b.Subscribe(0, false)
	for i := range 2 {
		_, _ = b.Publish(TypeRevoked, i)
	}
	if b.Subscribers() != 1 {
		t.Fatalf("Subscribers() with a full buffer = %d, want 1", b.Subscribers())
	}
	// The third publish finds the buffer full: it drops the subscriber
	// instead of waiting for it.
	for i := range 8 {
		if _, err := b.Publish(TypeRevoked, i); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 2 || b.Subscribers() != 0 {
		t.Errorf("slow subscriber got %d events, %d left subscribed; want 2 and 0", n, b.Subscribers())
	}
}

func TestHeartbeat(t *testing.T) {
	_, url := newServer(t, Options{Heartbeat: 20 * time.Millisecond})
	s := subscribe(t, url, "")
	for {
		if ev := s.next(t); ev.Type == ":" {
			if ev.Data != "heartbeat" {
				t.Errorf("comment = %q, want heartbeat", ev.Data)
			}
			return
		}
	}
}

func TestCloseEndsStreams(t *testing.T) {
	b, url := newServer(t, Options{})
	s := subscribe(t, url, "")
	waitSubscribers(t, b, 1)
	b.Close()
	for {
		if _, err := s.r.ReadString('\n'); err != nil {
			break
		}
	}
	if _, err := b.Publish(TypeApproved, nil); err == nil {
		t.Error("Publish after Close error = nil, want an error")
	}
}
