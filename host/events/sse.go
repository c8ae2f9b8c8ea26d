package events

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// writeTimeout bounds each write to a subscriber, so that a client that
// stops reading is dropped even when the server has no write timeout.
const writeTimeout = 30 * time.Second

var _ http.Handler = (*Broker)(nil)

// ServeHTTP streams events as text/event-stream until the client leaves,
// the subscriber is dropped or the broker closes. A Last-Event-ID header
// (or a last_event_id query parameter, for clients that cannot set
// headers) resumes after that event. The caller has checked the scope.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lastID, resume := lastEventID(r)
	sub, backlog := b.Subscribe(lastID, resume)
	defer sub.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	send := func(write func(io.Writer) error) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return write(w) == nil && rc.Flush() == nil
	}
	if !send(func(w io.Writer) error { _, err := io.WriteString(w, "retry: 3000\n\n"); return err }) {
		return
	}
	for _, ev := range backlog {
		if !send(ev.writeTo) {
			return
		}
	}

	tick := time.NewTicker(b.o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !send(func(w io.Writer) error { _, err := io.WriteString(w, ": heartbeat\n\n"); return err }) {
				return
			}
		case ev, ok := <-sub.C:
			if !ok || !send(ev.writeTo) {
				return
			}
		}
	}
}

// writeTo writes ev in the event-stream format. Data is compact JSON,
// which holds no line breaks.
func (ev Event) writeTo(w io.Writer) error {
	_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
	return err
}

// lastEventID reads the event to resume after.
func lastEventID(r *http.Request) (uint64, bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, true
	}
	return id, true
}
