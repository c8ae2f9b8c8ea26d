package server

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/plugin"
)

// paired lists paired channels. With ?limit= or ?cursor= it answers one
// page as a List; without, it streams every page of the store as one JSON
// array, holding one page in memory at a time.
func (s *Server) paired(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if q.Has("limit") || q.Has("cursor") {
		return s.pairedPage(w, r, c)
	}

	// The first page is read before the status is written, so a store that
	// fails at once gets a proper error response.
	page, next, err := c.backend.Pairing().ListPaired(r.Context(), plugin.Page{})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)

	sep := []byte("[")
	for {
		for _, pc := range page {
			item, err := json.Marshal(pc)
			if err != nil {
				return s.abortStream(r, err)
			}
			w.Write(sep)
			w.Write(item)
			sep = []byte(",\n")
		}
		rc.Flush()
		if next == "" {
			break
		}
		page, next, err = c.backend.Pairing().ListPaired(r.Context(), plugin.Page{Cursor: next})
		if err != nil {
			return s.abortStream(r, err)
		}
	}
	if len(sep) == 1 {
		w.Write(sep) // an empty listing
	}
	w.Write([]byte("]\n"))
	return nil
}

// abortStream ends a response whose status is already sent: the client
// sees a truncated body, never a well-formed but incomplete list.
func (s *Server) abortStream(r *http.Request, err error) error {
	s.log.Error("paired listing aborted", "route", r.Pattern, "error", err)
	panic(http.ErrAbortHandler)
}

func (s *Server) pairedPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	pcs, next, err := c.backend.Pairing().ListPaired(r.Context(), p)
	if err != nil {
		return err
	}
	if pcs == nil {
		pcs = []plugin.PairedChannel{}
	}
	writeJSON(w, http.StatusOK, List[plugin.PairedChannel]{Items: pcs, NextCursor: next})
	return nil
}
