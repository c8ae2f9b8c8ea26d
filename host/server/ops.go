package server

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/host/supervisor"
)

var errNoBackend = errorf(http.StatusServiceUnavailable, CodeUnavailable,
	"no plugin set is running")

// Readiness is the body of GET /readyz.
type Readiness struct {
	Ready bool `json:"ready"`
	// Down lists the plugins that are not ready, with why.
	Down []Down `json:"down,omitempty"`
}

// Down says which plugin is not ready and why. /readyz needs no
// credential, so it leaves out the binary path, checksum and the
// plugin's output; GET /v1/plugins shows them to plugins.read.
type Down struct {
	Key       string           `json:"key"`
	Plugin    string           `json:"plugin"`
	State     supervisor.State `json:"state"`
	Since     time.Time        `json:"since"`
	Restarts  int              `json:"restarts"`
	LastError string           `json:"last_error,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 200 only when every plugin is ready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.backend == nil {
		return errNoBackend
	}
	var out Readiness
	for _, st := range c.backend.Statuses() {
		if st.State != supervisor.StateReady {
			out.Down = append(out.Down, Down{
				Key: st.Key, Plugin: st.Plugin, State: st.State, Since: st.Since,
				Restarts: st.Restarts, LastError: st.LastError,
			})
		}
	}
	out.Ready = len(out.Down) == 0
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) plugins(w http.ResponseWriter, r *http.Request, c *call) error {
	sts := c.backend.Statuses()
	if sts == nil {
		sts = []supervisor.Status{}
	}
	writeJSON(w, http.StatusOK, map[string][]supervisor.Status{"plugins": sts})
	return nil
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request, c *call) error {
	s.log.Info("reload requested", "user", c.who.Principal.UserID)
	if err := s.opts.Reload(r.Context()); err != nil {
		return errorf(http.StatusBadRequest, CodeInvalidRequest, "reload refused: %v", err)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"reloaded": true})
	return nil
}

// unrouted answers every request no route matched: 405 with Allow when the
// path exists under another method, 404 otherwise.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "/" && p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, errorf(http.StatusNotFound, CodeNotFound, "no route %s", r.URL.Path))
		return
	}
	for _, m := range allow {
		w.Header().Add("Allow", m)
	}
	writeError(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"%s is not allowed on %s", r.Method, r.URL.Path))
}
