package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// maxCodeDraws bounds the retries when a drawn code is already open.
const maxCodeDraws = 8

// GenerateCode implements plugin.Pairing.
func (s *Store) GenerateCode(ctx context.Context, req plugin.CodeRequest) (plugin.PendingRequest, bool, error) {
	err := validate("generate code", plugin.RequiredID("channel type", req.ChannelType),
		plugin.ID("channel id", req.ChannelID), plugin.Label("user name", req.UserName))
	if err != nil {
		return plugin.PendingRequest{}, false, err
	}
	for range maxCodeDraws {
		code, err := plugin.NewCode()
		if err != nil {
			return plugin.PendingRequest{}, false, fmt.Errorf("generate code: %w: %w", err, plugin.ErrInternal)
		}
		pr, status, err := s.generate(ctx, req, code)
		switch {
		case err != nil:
			return plugin.PendingRequest{}, false, err
		case status == -1:
			return plugin.PendingRequest{}, false, fmt.Errorf("channel type %q: %w", req.ChannelType, plugin.ErrTooManyPending)
		case status == -2:
			continue
		}
		return pr, status == 1, nil
	}
	return plugin.PendingRequest{}, false, fmt.Errorf("generate code: no free code after %d draws: %w", maxCodeDraws, plugin.ErrInternal)
}

// generate runs generateScript with one candidate code.
func (s *Store) generate(ctx context.Context, req plugin.CodeRequest, code string) (plugin.PendingRequest, int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	reply, err := generateScript.Run(ctx, s.rdb,
		[]string{k.pending(req.ChannelType), k.pendingAll(), k.code(code),
			k.channel(req.ChannelType, req.ChannelID), k.pendingSeq()},
		k.codePrefix(), code, req.ChannelType, req.ChannelID, req.UserName,
		s.set.codeTTL.Milliseconds(), s.set.maxPending,
	).Slice()
	if err != nil {
		return plugin.PendingRequest{}, 0, s.fail(ctx, "generate code", err)
	}
	status, _ := reply[0].(int64)
	if status < 0 {
		return plugin.PendingRequest{}, status, nil
	}
	pr, _, err := parseRequest(reply[1])
	return pr, status, err
}

// Approve implements plugin.Pairing.
func (s *Store) Approve(ctx context.Context, a plugin.Approval) (plugin.PairedChannel, error) {
	err := validate("approve", plugin.RequiredID("channel type", a.ChannelType), plugin.ID("user id", a.UserID),
		plugin.Label("user name", a.UserName), plugin.ID("actor", a.Actor))
	if err != nil {
		return plugin.PairedChannel{}, err
	}
	reply, err := s.consume(ctx, a.ChannelType, a.Code, a.UserID, a.UserName, a.Actor, plugin.ActionApproved)
	if err != nil {
		return plugin.PairedChannel{}, err
	}
	return plugin.PairedChannel{
		ChannelID:   reply.channel,
		ChannelType: reply.request.ChannelType,
		PairedAt:    reply.at,
		Label:       reply.label,
		ApprovedBy:  a.Actor,
	}, nil
}

// Deny implements plugin.Pairing.
func (s *Store) Deny(ctx context.Context, d plugin.Denial) (plugin.PendingRequest, error) {
	if err := validate("deny", plugin.RequiredID("channel type", d.ChannelType), plugin.ID("actor", d.Actor)); err != nil {
		return plugin.PendingRequest{}, err
	}
	reply, err := s.consume(ctx, d.ChannelType, d.Code, "", "", d.Actor, plugin.ActionDenied)
	if err != nil {
		return plugin.PendingRequest{}, err
	}
	return reply.request, nil
}

// consumed is what consumeScript reports about a consumed request.
type consumed struct {
	request plugin.PendingRequest
	channel string
	at      time.Time
	label   string
}

// consume runs consumeScript for an approval or a denial.
func (s *Store) consume(ctx context.Context, typ, code, userID, userName, actor, action string) (consumed, error) {
	code, err := plugin.NormalizeCode(code)
	if err != nil {
		return consumed{}, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	reply, err := consumeScript.Run(ctx, s.rdb,
		[]string{k.code(code), k.pending(typ), k.pendingAll(), k.paired(), k.pairedIndex(), k.audit(), k.auditSeq()},
		k.chanPrefix(), typ, userID, userName, actor, action, s.set.auditMaxLen,
	).Slice()
	if err != nil {
		return consumed{}, s.fail(ctx, action, err)
	}

	switch status, _ := reply[0].(int64); status {
	case 0:
		return consumed{}, fmt.Errorf("%s code: no open %q request with that code: %w", action, typ, plugin.ErrNotFound)
	case -3:
		return consumed{}, fmt.Errorf("approve code: the request names no channel, so user_id must: %w", plugin.ErrInvalid)
	}
	if len(reply) != 5 {
		return consumed{}, fmt.Errorf("%s code: malformed reply: %w", action, plugin.ErrInternal)
	}
	pr, _, err := parseRequest(reply[1])
	if err != nil {
		return consumed{}, err
	}
	channel, _ := reply[2].(string)
	at, _ := reply[3].(int64)
	label, _ := reply[4].(string)
	return consumed{request: pr, channel: channel, at: time.UnixMilli(at), label: label}, nil
}

// IsPaired implements plugin.Pairing.
func (s *Store) IsPaired(ctx context.Context, channelID, channelType string) (bool, error) {
	if err := validate("is paired", plugin.RequiredID("channel id", channelID), plugin.RequiredID("channel type", channelType)); err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	field := channelField(channelType, channelID)
	ok, err := s.rdb.HExists(ctx, s.keys.paired(), field).Result()
	if err != nil {
		return false, s.fail(ctx, "is paired", err)
	}
	return ok, nil
}

// Revoke implements plugin.Pairing.
func (s *Store) Revoke(ctx context.Context, r plugin.Revocation) (bool, error) {
	err := validate("revoke", plugin.RequiredID("channel id", r.ChannelID), plugin.RequiredID("channel type", r.ChannelType),
		plugin.ID("actor", r.Actor))
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	n, err := revokeScript.Run(ctx, s.rdb,
		[]string{k.paired(), k.pairedIndex(), k.audit(), k.auditSeq()},
		r.ChannelType, r.ChannelID, r.Actor, s.set.auditMaxLen,
	).Int64()
	if err != nil {
		return false, s.fail(ctx, "revoke", err)
	}
	return n == 1, nil
}

// ListPending implements plugin.Pairing.
func (s *Store) ListPending(ctx context.Context, channelType string) ([]plugin.PendingRequest, error) {
	if err := validate("list pending", plugin.ID("channel type", channelType)); err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key := s.keys.pendingAll()
	if channelType != "" {
		key = s.keys.pending(channelType)
	}
	reply, err := pendingScript.Run(ctx, s.rdb, []string{key}, s.keys.codePrefix()).Slice()
	if err != nil {
		return nil, s.fail(ctx, "list pending", err)
	}

	type ordered struct {
		pr  plugin.PendingRequest
		seq int64
	}
	all := make([]ordered, 0, len(reply))
	for _, r := range reply {
		pr, seq, err := parseRequest(r)
		if err != nil {
			return nil, err
		}
		all = append(all, ordered{pr, seq})
	}
	slices.SortFunc(all, func(a, b ordered) int { return cmp.Compare(a.seq, b.seq) })

	out := make([]plugin.PendingRequest, len(all))
	for i, o := range all {
		out[i] = o.pr
	}
	return out, nil
}

// ListPaired implements plugin.Pairing. The cursor is the last field of
// the previous page, base64url encoded.
func (s *Store) ListPaired(ctx context.Context, p plugin.Page) ([]plugin.PairedChannel, string, error) {
	start := "-"
	if p.Cursor != "" {
		last, err := parseCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		start = "(" + last
	}
	limit := plugin.ClampLimit(p)

	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys
	reply, err := pairedScript.Run(ctx, s.rdb, []string{k.pairedIndex(), k.paired()}, start, limit+1).Slice()
	if err != nil {
		return nil, "", s.fail(ctx, "list paired", err)
	}
	fields, _ := reply[0].([]any)
	records, _ := reply[1].([]any)
	return pairedPage(fields, records, limit)
}

// parseCursor decodes a ListPaired cursor: the base64url form of a
// channel field, whose shape is checked so that a cursor the store did
// not issue fails with ErrInvalid.
func parseCursor(cursor string) (string, error) {
	bad := fmt.Errorf("list paired: cursor was not issued by this store: %w", plugin.ErrInvalid)
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", bad
	}
	field := string(raw)
	n, rest, ok := strings.Cut(field, ":")
	size, err := strconv.Atoi(n)
	if !ok || err != nil || size <= 0 || size > plugin.MaxIDBytes || len(rest) < size+2 ||
		rest[size] != ':' || channelField(rest[:size], rest[size+1:]) != field {
		return "", bad
	}
	return field, nil
}

// pairedPage decodes one page read by pairedScript, which read one field
// more than the limit to learn whether another page follows.
func pairedPage(fields, records []any, limit int) ([]plugin.PairedChannel, string, error) {
	next := ""
	if len(fields) > limit {
		fields, records = fields[:limit], records[:limit]
		last, _ := fields[limit-1].(string)
		next = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	out := make([]plugin.PairedChannel, 0, len(records))
	for _, rec := range records {
		raw, ok := rec.(string)
		if !ok {
			continue // removed between index and hash; cannot happen in one script
		}
		c, err := parsePaired(raw)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	return out, next, nil
}

// pairedRecord is the JSON a consumeScript approval writes.
type pairedRecord struct {
	ChannelID   string `json:"channel_id"`
	ChannelType string `json:"channel_type"`
	PairedAt    int64  `json:"paired_at"`
	Label       string `json:"label"`
	ApprovedBy  string `json:"approved_by"`
}

func parsePaired(raw string) (plugin.PairedChannel, error) {
	var r pairedRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return plugin.PairedChannel{}, fmt.Errorf("decode paired channel: %v: %w", err, plugin.ErrInternal)
	}
	return plugin.PairedChannel{
		ChannelID: r.ChannelID, ChannelType: r.ChannelType,
		PairedAt: time.UnixMilli(r.PairedAt), Label: r.Label, ApprovedBy: r.ApprovedBy,
	}, nil
}

// parseRequest decodes the HMGET reply of the Lua request() helper: the
// request and its sequence number, which orders requests by creation.
func parseRequest(v any) (plugin.PendingRequest, int64, error) {
	f, ok := v.([]any)
	if !ok || len(f) != 7 {
		return plugin.PendingRequest{}, 0, fmt.Errorf("decode pending request: malformed reply: %w", plugin.ErrInternal)
	}
	str := func(i int) string { s, _ := f[i].(string); return s }
	num := func(i int) int64 {
		n, _ := strconv.ParseInt(str(i), 10, 64)
		return n
	}
	return plugin.PendingRequest{
		Code: str(0), ChannelType: str(1), ChannelID: str(2), UserName: str(3),
		CreatedAt: time.UnixMilli(num(4)), ExpiresAt: time.UnixMilli(num(5)),
	}, num(6), nil
}
