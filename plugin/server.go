package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	pb "github.com/gatehouse/gatehouse/shared/gatehousev1"
)

// server is the plugin-side adapter: it answers the host's gRPC calls by
// calling the author's implementations. It is safe for concurrent use.
type server struct {
	pb.UnimplementedPluginServer
	pb.UnimplementedAuthServer
	pb.UnimplementedPairingServer
	pb.UnimplementedSessionServer

	cfg ServeConfig

	mu       sync.Mutex // guards the fields below
	protocol Protocol
	auth     Auth
	pairing  Pairing
	sessions Sessions
}

func newServer(cfg ServeConfig) *server { return &server{cfg: cfg} }

func (s *server) Info(context.Context, *pb.InfoRequest) (*pb.InfoResponse, error) {
	return toInfo(s.cfg.info()), nil
}

// Configure builds the implementation for the requested protocol. It may
// succeed only once per process.
func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.protocol != "" {
		return nil, ToStatus(fmt.Errorf("plugin already configured for %s: %w", s.protocol, ErrConflict))
	}
	p := fromProtocol(req.Protocol)
	if err := s.build(ctx, p, json.RawMessage(req.ConfigJson)); err != nil {
		return nil, ToStatus(fmt.Errorf("configure %s: %w", p, err))
	}
	s.protocol = p
	return &pb.ConfigureResponse{}, nil
}

// build runs the author's constructor for p and keeps what it returns
// only on success, so a failed constructor leaves nothing to close.
func (s *server) build(ctx context.Context, p Protocol, raw json.RawMessage) error {
	switch {
	case p == ProtocolAuth && s.cfg.Auth != nil:
		a, err := s.cfg.Auth(ctx, raw)
		if err == nil {
			s.auth = a
		}
		return err
	case p == ProtocolPairing && s.cfg.Pairing != nil:
		pr, err := s.cfg.Pairing(ctx, raw)
		if err == nil {
			s.pairing = pr
		}
		return err
	case p == ProtocolSession && s.cfg.Sessions != nil:
		ss, err := s.cfg.Sessions(ctx, raw)
		if err == nil {
			s.sessions = ss
		}
		return err
	}
	return fmt.Errorf("plugin %s does not serve protocol %q: %w", s.cfg.Name, p, ErrUnimplemented)
}

// close releases the configured implementation.
func (s *server) close() error {
	s.mu.Lock()
	impls := []any{s.auth, s.pairing, s.sessions}
	s.mu.Unlock()
	var errs []error
	for _, impl := range impls {
		if c, ok := impl.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

func (s *server) authImpl() (Auth, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.auth == nil {
		return nil, ToStatus(fmt.Errorf("auth is not configured: %w", ErrUnavailable))
	}
	return s.auth, nil
}

func (s *server) pairingImpl() (Pairing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pairing == nil {
		return nil, ToStatus(fmt.Errorf("pairing is not configured: %w", ErrUnavailable))
	}
	return s.pairing, nil
}

func (s *server) sessionsImpl() (Sessions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		return nil, ToStatus(fmt.Errorf("session is not configured: %w", ErrUnavailable))
	}
	return s.sessions, nil
}

func (s *server) Check(ctx context.Context, req *pb.CheckRequest) (*pb.CheckResponse, error) {
	a, err := s.authImpl()
	if err != nil {
		return nil, err
	}
	res, err := a.Check(ctx, fromCheckRequest(req))
	if err != nil {
		return nil, ToStatus(err)
	}
	out, err := toCheckResult(res)
	return out, ToStatus(err)
}

func (s *server) GenerateCode(ctx context.Context, req *pb.GenerateCodeRequest) (*pb.GenerateCodeResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	pr, reused, err := p.GenerateCode(ctx, CodeRequest{
		ChannelType: req.ChannelType, ChannelID: req.ChannelId, UserName: req.UserName,
	})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.GenerateCodeResponse{Request: toPending(pr), Reused: reused}, nil
}

func (s *server) Approve(ctx context.Context, req *pb.ApproveRequest) (*pb.ApproveResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	c, err := p.Approve(ctx, Approval{
		ChannelType: req.ChannelType, Code: req.Code, UserID: req.UserId,
		UserName: req.UserName, Actor: req.Actor,
	})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.ApproveResponse{Channel: toPaired(c)}, nil
}

func (s *server) Deny(ctx context.Context, req *pb.DenyRequest) (*pb.DenyResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	pr, err := p.Deny(ctx, Denial{ChannelType: req.ChannelType, Code: req.Code, Actor: req.Actor})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.DenyResponse{Request: toPending(pr)}, nil
}

func (s *server) IsPaired(ctx context.Context, req *pb.IsPairedRequest) (*pb.IsPairedResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	ok, err := p.IsPaired(ctx, req.ChannelId, req.ChannelType)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.IsPairedResponse{Paired: ok}, nil
}

func (s *server) ListPaired(ctx context.Context, req *pb.ListPairedRequest) (*pb.ListPairedResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	chans, next, err := p.ListPaired(ctx, Page{Cursor: req.Cursor, Limit: int(req.Limit)})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.ListPairedResponse{Channels: mapSlice(chans, toPaired), NextCursor: next}, nil
}

func (s *server) Revoke(ctx context.Context, req *pb.RevokeRequest) (*pb.RevokeResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	ok, err := p.Revoke(ctx, Revocation{ChannelID: req.ChannelId, ChannelType: req.ChannelType, Actor: req.Actor})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.RevokeResponse{Revoked: ok}, nil
}

func (s *server) ListPending(ctx context.Context, req *pb.ListPendingRequest) (*pb.ListPendingResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	reqs, err := p.ListPending(ctx, req.ChannelType)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.ListPendingResponse{Requests: mapSlice(reqs, toPending)}, nil
}

func (s *server) ListAudit(ctx context.Context, req *pb.ListAuditRequest) (*pb.ListAuditResponse, error) {
	p, err := s.pairingImpl()
	if err != nil {
		return nil, err
	}
	recs, next, err := p.ListAudit(ctx, Page{Cursor: req.Cursor, Limit: int(req.Limit)})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.ListAuditResponse{Records: mapSlice(recs, toAudit), NextCursor: next}, nil
}

func (s *server) Bind(ctx context.Context, req *pb.BindRequest) (*pb.BindResponse, error) {
	ss, err := s.sessionsImpl()
	if err != nil {
		return nil, err
	}
	err = ss.Bind(ctx, req.Key, fromPrincipal(req.Principal), fromTime(req.ExpiresAt))
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.BindResponse{}, nil
}

func (s *server) Lookup(ctx context.Context, req *pb.LookupRequest) (*pb.LookupResponse, error) {
	ss, err := s.sessionsImpl()
	if err != nil {
		return nil, err
	}
	p, exp, err := ss.Lookup(ctx, req.Key)
	if err != nil {
		return nil, ToStatus(err)
	}
	wp, err := toPrincipal(p)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.LookupResponse{Principal: wp, ExpiresAt: toTime(exp)}, nil
}

func (s *server) Delete(ctx context.Context, req *pb.DeleteRequest) (*pb.DeleteResponse, error) {
	ss, err := s.sessionsImpl()
	if err != nil {
		return nil, err
	}
	ok, err := ss.Delete(ctx, req.Key)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pb.DeleteResponse{Deleted: ok}, nil
}
