package plugin

import (
	"fmt"
	"net/http"
	"time"

	pb "github.com/gatehouse/gatehouse/shared/gatehousev1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// This file holds every conversion between wire and domain types, in
// pairs: toX builds the wire form, fromX reads it.

var protocolWire = map[Protocol]pb.Protocol{
	ProtocolAuth:    pb.Protocol_PROTOCOL_AUTH,
	ProtocolPairing: pb.Protocol_PROTOCOL_PAIRING,
	ProtocolSession: pb.Protocol_PROTOCOL_SESSION,
}

func toProtocol(p Protocol) pb.Protocol { return protocolWire[p] }

func fromProtocol(p pb.Protocol) Protocol {
	for k, v := range protocolWire {
		if v == p {
			return k
		}
	}
	return ""
}

func toTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTime(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func toSchema(s Schema) *pb.Schema {
	out := &pb.Schema{}
	for _, a := range s.Attributes {
		out.Attributes = append(out.Attributes, &pb.Attribute{
			Name: a.Name, Type: a.Type, Required: a.Required,
			Sensitive: a.Sensitive, Description: a.Description,
		})
	}
	for _, b := range s.Blocks {
		out.Blocks = append(out.Blocks, &pb.Block{
			Name: b.Name, Labels: b.Labels, Body: toSchema(b.Body),
			Repeated: b.Repeated, Required: b.Required, Description: b.Description,
		})
	}
	return out
}

func fromSchema(s *pb.Schema) Schema {
	var out Schema
	for _, a := range s.GetAttributes() {
		out.Attributes = append(out.Attributes, Attribute{
			Name: a.Name, Type: a.Type, Required: a.Required,
			Sensitive: a.Sensitive, Description: a.Description,
		})
	}
	for _, b := range s.GetBlocks() {
		out.Blocks = append(out.Blocks, Block{
			Name: b.Name, Labels: b.Labels, Body: fromSchema(b.Body),
			Repeated: b.Repeated, Required: b.Required, Description: b.Description,
		})
	}
	return out
}

func toInfo(i Info) *pb.InfoResponse {
	out := &pb.InfoResponse{Name: i.Name, Version: i.Version, ConfigSchema: toSchema(i.Schema)}
	for _, p := range i.Protocols {
		out.Protocols = append(out.Protocols, toProtocol(p))
	}
	return out
}

func fromInfo(r *pb.InfoResponse) Info {
	out := Info{Name: r.Name, Version: r.Version, Schema: fromSchema(r.ConfigSchema)}
	for _, p := range r.Protocols {
		if d := fromProtocol(p); d != "" {
			out.Protocols = append(out.Protocols, d)
		}
	}
	return out
}

func toPrincipal(p Principal) (*pb.Principal, error) {
	out := &pb.Principal{UserId: p.UserID, Role: p.Role}
	if len(p.Metadata) > 0 {
		md, err := structpb.NewStruct(p.Metadata)
		if err != nil {
			return nil, fmt.Errorf("principal metadata: %v: %w", err, ErrInvalid)
		}
		out.Metadata = md
	}
	return out, nil
}

func fromPrincipal(p *pb.Principal) Principal {
	out := Principal{UserID: p.GetUserId(), Role: p.GetRole()}
	if md := p.GetMetadata(); md != nil && len(md.Fields) > 0 {
		out.Metadata = md.AsMap()
	}
	return out
}

func toCheckRequest(r *CheckRequest) *pb.CheckRequest {
	out := &pb.CheckRequest{
		Method: r.Method, Path: r.Path, Host: r.Host, RemoteAddr: r.RemoteAddr,
		Headers: make(map[string]*pb.HeaderValues, len(r.Header)),
	}
	for k, v := range r.Header {
		out.Headers[k] = &pb.HeaderValues{Values: v}
	}
	if r.TLS != nil {
		out.Tls = &pb.TLSInfo{
			Enabled: true, ServerName: r.TLS.ServerName,
			Version: r.TLS.Version, PeerSubjects: r.TLS.PeerSubjects,
		}
	}
	return out
}

func fromCheckRequest(r *pb.CheckRequest) *CheckRequest {
	out := &CheckRequest{
		Method: r.Method, Path: r.Path, Host: r.Host, RemoteAddr: r.RemoteAddr,
		Header: make(http.Header, len(r.Headers)),
	}
	for k, v := range r.Headers {
		out.Header[http.CanonicalHeaderKey(k)] = v.GetValues()
	}
	if t := r.GetTls(); t.GetEnabled() {
		out.TLS = &TLSInfo{ServerName: t.ServerName, Version: t.Version, PeerSubjects: t.PeerSubjects}
	}
	return out
}

var outcomeWire = map[Outcome]pb.Outcome{
	OutcomeSuccess:      pb.Outcome_OUTCOME_SUCCESS,
	OutcomeFailure:      pb.Outcome_OUTCOME_FAILURE,
	OutcomeNoCredential: pb.Outcome_OUTCOME_NO_CREDENTIAL,
}

func toCheckResult(r CheckResult) (*pb.CheckResponse, error) {
	p, err := toPrincipal(r.Principal)
	if err != nil {
		return nil, err
	}
	return &pb.CheckResponse{Outcome: outcomeWire[r.Outcome], Principal: p, Reason: r.Reason}, nil
}

// fromCheckResult reads a verdict. Anything but a well-formed success or
// no-credential answer is a failure: the host fails closed.
func fromCheckResult(r *pb.CheckResponse) CheckResult {
	out := CheckResult{Outcome: OutcomeFailure, Reason: r.GetReason()}
	switch r.GetOutcome() {
	case pb.Outcome_OUTCOME_SUCCESS:
		p := fromPrincipal(r.GetPrincipal())
		if p.UserID == "" {
			out.Reason = "plugin answered success without a user id"
			return out
		}
		out.Outcome, out.Principal = OutcomeSuccess, p
	case pb.Outcome_OUTCOME_NO_CREDENTIAL:
		out.Outcome = OutcomeNoCredential
	}
	return out
}

func toPending(p PendingRequest) *pb.PendingRequest {
	return &pb.PendingRequest{
		Code: p.Code, ChannelType: p.ChannelType, ChannelId: p.ChannelID,
		UserName: p.UserName, CreatedAt: toTime(p.CreatedAt), ExpiresAt: toTime(p.ExpiresAt),
	}
}

func fromPending(p *pb.PendingRequest) PendingRequest {
	return PendingRequest{
		Code: p.GetCode(), ChannelType: p.GetChannelType(), ChannelID: p.GetChannelId(),
		UserName: p.GetUserName(), CreatedAt: fromTime(p.GetCreatedAt()), ExpiresAt: fromTime(p.GetExpiresAt()),
	}
}

func toPaired(c PairedChannel) *pb.PairedChannel {
	return &pb.PairedChannel{
		ChannelId: c.ChannelID, ChannelType: c.ChannelType, PairedAt: toTime(c.PairedAt),
		Label: c.Label, ApprovedBy: c.ApprovedBy,
	}
}

func fromPaired(c *pb.PairedChannel) PairedChannel {
	return PairedChannel{
		ChannelID: c.GetChannelId(), ChannelType: c.GetChannelType(), PairedAt: fromTime(c.GetPairedAt()),
		Label: c.GetLabel(), ApprovedBy: c.GetApprovedBy(),
	}
}

func toAudit(a AuditRecord) *pb.AuditRecord {
	return &pb.AuditRecord{
		Id: a.ID, Action: a.Action, ChannelType: a.ChannelType, ChannelId: a.ChannelID,
		Actor: a.Actor, At: toTime(a.At), Detail: a.Detail,
	}
}

func fromAudit(a *pb.AuditRecord) AuditRecord {
	return AuditRecord{
		ID: a.GetId(), Action: a.GetAction(), ChannelType: a.GetChannelType(), ChannelID: a.GetChannelId(),
		Actor: a.GetActor(), At: fromTime(a.GetAt()), Detail: a.GetDetail(),
	}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
