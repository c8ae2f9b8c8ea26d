package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// validationChecks are the input limits.
var validationChecks = []check{
	{"Limits", testLimits},
	{"AtLimits", testAtLimits},
}

var (
	longID    = strings.Repeat("i", MaxIDBytes+1)
	longLabel = strings.Repeat("l", MaxLabelBytes+1)
)

// call is one store call that must fail with ErrInvalid.
type call struct {
	name string
	do   func(ctx context.Context, s Stores, code string) error
}

// invalidCalls get code, an open request's code of type chat.
var invalidCalls = []call{
	{"GenerateCode(empty type)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelID: "x"})
		return err
	}},
	{"GenerateCode(long type)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: longID})
		return err
	}},
	{"GenerateCode(long id)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "chat", ChannelID: longID})
		return err
	}},
	{"GenerateCode(long user name)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Pairing.GenerateCode(ctx, plugin.CodeRequest{ChannelType: "chat", UserName: longLabel})
		return err
	}},
	{"Approve(empty type)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Approve(ctx, plugin.Approval{Code: code})
		return err
	}},
	{"Approve(long user id)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Approve(ctx, plugin.Approval{ChannelType: "chat", Code: code, UserID: longID})
		return err
	}},
	{"Approve(long user name)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Approve(ctx, plugin.Approval{ChannelType: "chat", Code: code, UserName: longLabel})
		return err
	}},
	{"Approve(long actor)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Approve(ctx, plugin.Approval{ChannelType: "chat", Code: code, Actor: longID})
		return err
	}},
	{"Deny(empty type)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Deny(ctx, plugin.Denial{Code: code})
		return err
	}},
	{"Deny(long actor)", func(ctx context.Context, s Stores, code string) error {
		_, err := s.Pairing.Deny(ctx, plugin.Denial{ChannelType: "chat", Code: code, Actor: longID})
		return err
	}},
	{"IsPaired(empty id)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.IsPaired(ctx, "", "chat")
		return err
	}},
	{"IsPaired(empty type)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.IsPaired(ctx, "x", "")
		return err
	}},
	{"IsPaired(long id)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.IsPaired(ctx, longID, "chat")
		return err
	}},
	{"Revoke(empty id)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.Revoke(ctx, plugin.Revocation{ChannelType: "chat"})
		return err
	}},
	{"Revoke(empty type)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.Revoke(ctx, plugin.Revocation{ChannelID: "x"})
		return err
	}},
	{"ListPending(long type)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Pairing.ListPending(ctx, longID)
		return err
	}},
	{"Bind(empty key)", func(ctx context.Context, s Stores, _ string) error {
		return s.Sessions.Bind(ctx, "", bob, time.Now().Add(time.Hour))
	}},
	{"Bind(long key)", func(ctx context.Context, s Stores, _ string) error {
		return s.Sessions.Bind(ctx, longID, bob, time.Now().Add(time.Hour))
	}},
	{"Bind(empty user id)", func(ctx context.Context, s Stores, _ string) error {
		return s.Sessions.Bind(ctx, key(1), plugin.Principal{Role: "x"}, time.Now().Add(time.Hour))
	}},
	{"Bind(long role)", func(ctx context.Context, s Stores, _ string) error {
		return s.Sessions.Bind(ctx, key(1), plugin.Principal{UserID: "u", Role: longID}, time.Now().Add(time.Hour))
	}},
	{"Bind(zero expiry)", func(ctx context.Context, s Stores, _ string) error {
		return s.Sessions.Bind(ctx, key(1), bob, time.Time{})
	}},
	{"Bind(huge metadata)", func(ctx context.Context, s Stores, _ string) error {
		p := plugin.Principal{UserID: "u", Metadata: map[string]any{"blob": strings.Repeat("b", MaxPrincipalBytes)}}
		return s.Sessions.Bind(ctx, key(1), p, time.Now().Add(time.Hour))
	}},
	{"Lookup(empty key)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Sessions.Lookup(ctx, "")
		return err
	}},
	{"Lookup(long key)", func(ctx context.Context, s Stores, _ string) error {
		_, _, err := s.Sessions.Lookup(ctx, longID)
		return err
	}},
	{"Delete(empty key)", func(ctx context.Context, s Stores, _ string) error {
		_, err := s.Sessions.Delete(ctx, "")
		return err
	}},
}

func testLimits(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "keep"})
	for _, c := range invalidCalls {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, c.name, c.do(t.Context(), s, pr.Code), plugin.ErrInvalid)
		})
	}
	// No refused call consumed the code or bound a session.
	if !listsCode(t, s.Pairing, "chat", pr.Code) {
		t.Errorf("ListPending(chat) after refused calls lacks %q, want it still open", pr.Code)
	}
	wantGone(t, s.Sessions, key(1))
}

func testAtLimits(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	typ, id := strings.Repeat("t", MaxIDBytes), strings.Repeat("c", MaxIDBytes)
	name, actor := strings.Repeat("n", MaxLabelBytes), strings.Repeat("a", MaxIDBytes)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: typ, ChannelID: id, UserName: name})
	pc := approve(t, s.Pairing, plugin.Approval{ChannelType: typ, Code: pr.Code, UserName: name, Actor: actor})
	if pc.ChannelID != id || pc.Label != name || pc.ApprovedBy != actor {
		t.Errorf("Approve(values at the limits) = %.40v…, want them stored whole", pc)
	}
	wantPaired(t, s.Pairing, id, typ, true)

	p := plugin.Principal{UserID: actor, Role: actor, Metadata: map[string]any{"blob": strings.Repeat("b", MaxPrincipalBytes/2)}}
	exp := time.Now().Add(time.Hour)
	k := strings.Repeat("k", MaxIDBytes)
	bind(t, s.Sessions, k, p, exp)
	lookup(t, s.Sessions, k, p, exp)
}
