package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/host/events"
	"github.com/gatehouse/gatehouse/plugin"
)

// DefaultChannelType is the channel type of a request that names none, as
// in the protocol's generate_code(channel_type="unknown").
const DefaultChannelType = "unknown"

// OpenRequest is the body of POST /v1/pairing/requests.
type OpenRequest struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
	UserName    string `json:"user_name"`
}

// OpenResponse answers POST /v1/pairing/requests. Reused is set when the
// channel already had an open request: its code is returned again.
type OpenResponse struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	Reused    bool      `json:"reused"`
}

// ApproveRequest is the body of POST /v1/pairing/approve.
type ApproveRequest struct {
	ChannelType string `json:"channel_type"`
	Code        string `json:"code"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
}

// DenyRequest is the body of POST /v1/pairing/deny.
type DenyRequest struct {
	ChannelType string `json:"channel_type"`
	Code        string `json:"code"`
}

// RevokeRequest is the body of POST /v1/pairing/revoke.
type RevokeRequest struct {
	ChannelType string `json:"channel_type"`
	ChannelID   string `json:"channel_id"`
}

// Pending is an open request as listed, with its age in seconds.
type Pending struct {
	plugin.PendingRequest
	AgeSeconds int64 `json:"age_seconds"`
}

// List is one page of a listing; NextCursor is empty after the last.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func (s *Server) openRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	var in OpenRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := plainText([2]string{"channel_type", in.ChannelType},
		[2]string{"channel_id", in.ChannelID}, [2]string{"user_name", in.UserName})
	if err != nil {
		return err
	}
	if in.ChannelType == "" {
		in.ChannelType = DefaultChannelType
	}
	pr, reused, err := c.backend.Pairing().GenerateCode(r.Context(), plugin.CodeRequest{
		ChannelType: in.ChannelType, ChannelID: in.ChannelID, UserName: in.UserName,
	})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if reused {
		status = http.StatusOK
	} else {
		s.publish(events.TypeRequested, pr)
	}
	writeJSON(w, status, OpenResponse{Code: pr.Code, ExpiresAt: pr.ExpiresAt, Reused: reused})
	return nil
}

func (s *Server) pairingStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	ct, id := q.Get("channel_type"), q.Get("channel_id")
	if err := required([2]string{"channel_type", ct}, [2]string{"channel_id", id}); err != nil {
		return err
	}
	if err := plainText([2]string{"channel_type", ct}, [2]string{"channel_id", id}); err != nil {
		return err
	}
	paired, err := c.backend.Pairing().IsPaired(r.Context(), id, ct)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"paired": paired})
	return nil
}

func (s *Server) pending(w http.ResponseWriter, r *http.Request, c *call) error {
	ct := r.URL.Query().Get("channel_type")
	if err := plainText([2]string{"channel_type", ct}); err != nil {
		return err
	}
	prs, err := c.backend.Pairing().ListPending(r.Context(), ct)
	if err != nil {
		return err
	}
	now := time.Now()
	out := List[Pending]{Items: make([]Pending, 0, len(prs))}
	for _, pr := range prs {
		age := int64(now.Sub(pr.CreatedAt) / time.Second)
		out.Items = append(out.Items, Pending{PendingRequest: pr, AgeSeconds: age})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, c *call) error {
	var in ApproveRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := required([2]string{"channel_type", in.ChannelType}, [2]string{"code", in.Code})
	if err == nil {
		err = plainText([2]string{"channel_type", in.ChannelType}, [2]string{"code", in.Code},
			[2]string{"user_id", in.UserID}, [2]string{"user_name", in.UserName})
	}
	if err != nil {
		return err
	}
	pc, err := c.backend.Pairing().Approve(r.Context(), plugin.Approval{
		ChannelType: in.ChannelType, Code: in.Code, UserID: in.UserID,
		UserName: in.UserName, Actor: c.who.Principal.UserID,
	})
	if err != nil {
		return err
	}
	s.log.Info("pairing approved", "channel_type", pc.ChannelType,
		"channel_id", pc.ChannelID, "actor", c.who.Principal.UserID)
	s.publish(events.TypeApproved, pc)
	writeJSON(w, http.StatusOK, pc)
	return nil
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, c *call) error {
	var in DenyRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := required([2]string{"channel_type", in.ChannelType}, [2]string{"code", in.Code})
	if err == nil {
		err = plainText([2]string{"channel_type", in.ChannelType}, [2]string{"code", in.Code})
	}
	if err != nil {
		return err
	}
	pr, err := c.backend.Pairing().Deny(r.Context(), plugin.Denial{
		ChannelType: in.ChannelType, Code: in.Code, Actor: c.who.Principal.UserID,
	})
	if err != nil {
		return err
	}
	s.log.Info("pairing denied", "channel_type", pr.ChannelType,
		"channel_id", pr.ChannelID, "actor", c.who.Principal.UserID)
	s.publish(events.TypeDenied, pr)
	writeJSON(w, http.StatusOK, pr)
	return nil
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, c *call) error {
	var in RevokeRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := required([2]string{"channel_type", in.ChannelType}, [2]string{"channel_id", in.ChannelID})
	if err == nil {
		err = plainText([2]string{"channel_type", in.ChannelType}, [2]string{"channel_id", in.ChannelID})
	}
	if err != nil {
		return err
	}
	ok, err := c.backend.Pairing().Revoke(r.Context(), plugin.Revocation{
		ChannelID: in.ChannelID, ChannelType: in.ChannelType, Actor: c.who.Principal.UserID,
	})
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, CodeNotFound, "channel %s/%s is not paired",
			in.ChannelType, in.ChannelID)
	}
	s.log.Info("pairing revoked", "channel_type", in.ChannelType,
		"channel_id", in.ChannelID, "actor", c.who.Principal.UserID)
	s.publish(events.TypeRevoked, RevokeRequest{ChannelType: in.ChannelType, ChannelID: in.ChannelID})
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	recs, next, err := c.backend.Pairing().ListAudit(r.Context(), p)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []plugin.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, List[plugin.AuditRecord]{Items: recs, NextCursor: next})
	return nil
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(r *http.Request) (plugin.Page, error) {
	q := r.URL.Query()
	p := plugin.Page{Cursor: q.Get("cursor")}
	if err := plainText([2]string{"cursor", p.Cursor}); err != nil {
		return p, err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return p, errorf(http.StatusBadRequest, CodeInvalidRequest,
				"limit must be a positive integer, got %q", l)
		}
		p.Limit = n
	}
	return p, nil
}
