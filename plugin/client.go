package plugin

import (
	"context"
	"time"

	pb "github.com/gatehouse/gatehouse/shared/gatehousev1"
	"google.golang.org/grpc"
)

// Client is the host-side adapter of one plugin process: it speaks the
// wire protocol and returns the domain types and error vocabulary of this
// package. It is safe for concurrent use.
type Client struct {
	conn     grpc.ClientConnInterface
	plugin   pb.PluginClient
	auth     pb.AuthClient
	pairing  pb.PairingClient
	sessions pb.SessionClient
}

// NewClient returns a Client over conn.
func NewClient(conn grpc.ClientConnInterface) *Client {
	return &Client{
		conn:     conn,
		plugin:   pb.NewPluginClient(conn),
		auth:     pb.NewAuthClient(conn),
		pairing:  pb.NewPairingClient(conn),
		sessions: pb.NewSessionClient(conn),
	}
}

// Conn returns the connection the client uses, for health checks.
func (c *Client) Conn() grpc.ClientConnInterface { return c.conn }

// Info asks the plugin who it is.
func (c *Client) Info(ctx context.Context) (Info, error) {
	r, err := c.plugin.Info(ctx, &pb.InfoRequest{})
	if err != nil {
		return Info{}, FromStatus(err)
	}
	return fromInfo(r), nil
}

// Configure hands the plugin its config block, as JSON, for protocol p.
func (c *Client) Configure(ctx context.Context, p Protocol, instance string, configJSON []byte) error {
	_, err := c.plugin.Configure(ctx, &pb.ConfigureRequest{
		Protocol: toProtocol(p), ConfigJson: configJSON, InstanceName: instance,
	})
	return FromStatus(err)
}

// Auth returns the plugin's Auth protocol.
func (c *Client) Auth() Auth { return authClient{c.auth} }

// Pairing returns the plugin's Pairing protocol.
func (c *Client) Pairing() Pairing { return pairingClient{c.pairing} }

// Sessions returns the plugin's Sessions protocol.
func (c *Client) Sessions() Sessions { return sessionsClient{c.sessions} }

type authClient struct{ c pb.AuthClient }

var _ Auth = authClient{}

func (a authClient) Check(ctx context.Context, req *CheckRequest) (CheckResult, error) {
	r, err := a.c.Check(ctx, toCheckRequest(req))
	if err != nil {
		return CheckResult{}, FromStatus(err)
	}
	return fromCheckResult(r), nil
}

type pairingClient struct{ c pb.PairingClient }

var _ Pairing = pairingClient{}

func (p pairingClient) GenerateCode(ctx context.Context, req CodeRequest) (PendingRequest, bool, error) {
	r, err := p.c.GenerateCode(ctx, &pb.GenerateCodeRequest{
		ChannelType: req.ChannelType, ChannelId: req.ChannelID, UserName: req.UserName,
	})
	if err != nil {
		return PendingRequest{}, false, FromStatus(err)
	}
	return fromPending(r.Request), r.Reused, nil
}

func (p pairingClient) Approve(ctx context.Context, a Approval) (PairedChannel, error) {
	r, err := p.c.Approve(ctx, &pb.ApproveRequest{
		ChannelType: a.ChannelType, Code: a.Code, UserId: a.UserID,
		UserName: a.UserName, Actor: a.Actor,
	})
	if err != nil {
		return PairedChannel{}, FromStatus(err)
	}
	return fromPaired(r.Channel), nil
}

func (p pairingClient) Deny(ctx context.Context, d Denial) (PendingRequest, error) {
	r, err := p.c.Deny(ctx, &pb.DenyRequest{ChannelType: d.ChannelType, Code: d.Code, Actor: d.Actor})
	if err != nil {
		return PendingRequest{}, FromStatus(err)
	}
	return fromPending(r.Request), nil
}

func (p pairingClient) IsPaired(ctx context.Context, channelID, channelType string) (bool, error) {
	r, err := p.c.IsPaired(ctx, &pb.IsPairedRequest{ChannelId: channelID, ChannelType: channelType})
	if err != nil {
		return false, FromStatus(err)
	}
	return r.Paired, nil
}

func (p pairingClient) ListPaired(ctx context.Context, pg Page) ([]PairedChannel, string, error) {
	r, err := p.c.ListPaired(ctx, &pb.ListPairedRequest{Cursor: pg.Cursor, Limit: int32(ClampLimit(pg))})
	if err != nil {
		return nil, "", FromStatus(err)
	}
	return mapSlice(r.Channels, fromPaired), r.NextCursor, nil
}

func (p pairingClient) Revoke(ctx context.Context, rv Revocation) (bool, error) {
	r, err := p.c.Revoke(ctx, &pb.RevokeRequest{
		ChannelId: rv.ChannelID, ChannelType: rv.ChannelType, Actor: rv.Actor,
	})
	if err != nil {
		return false, FromStatus(err)
	}
	return r.Revoked, nil
}

func (p pairingClient) ListPending(ctx context.Context, channelType string) ([]PendingRequest, error) {
	r, err := p.c.ListPending(ctx, &pb.ListPendingRequest{ChannelType: channelType})
	if err != nil {
		return nil, FromStatus(err)
	}
	return mapSlice(r.Requests, fromPending), nil
}

func (p pairingClient) ListAudit(ctx context.Context, pg Page) ([]AuditRecord, string, error) {
	r, err := p.c.ListAudit(ctx, &pb.ListAuditRequest{Cursor: pg.Cursor, Limit: int32(ClampLimit(pg))})
	if err != nil {
		return nil, "", FromStatus(err)
	}
	return mapSlice(r.Records, fromAudit), r.NextCursor, nil
}

type sessionsClient struct{ c pb.SessionClient }

var _ Sessions = sessionsClient{}

func (s sessionsClient) Bind(ctx context.Context, key string, p Principal, expiresAt time.Time) error {
	wp, err := toPrincipal(p)
	if err != nil {
		return err
	}
	_, err = s.c.Bind(ctx, &pb.BindRequest{Key: key, Principal: wp, ExpiresAt: toTime(expiresAt)})
	return FromStatus(err)
}

func (s sessionsClient) Lookup(ctx context.Context, key string) (Principal, time.Time, error) {
	r, err := s.c.Lookup(ctx, &pb.LookupRequest{Key: key})
	if err != nil {
		return Principal{}, time.Time{}, FromStatus(err)
	}
	return fromPrincipal(r.Principal), fromTime(r.ExpiresAt), nil
}

func (s sessionsClient) Delete(ctx context.Context, key string) (bool, error) {
	r, err := s.c.Delete(ctx, &pb.DeleteRequest{Key: key})
	if err != nil {
		return false, FromStatus(err)
	}
	return r.Deleted, nil
}
