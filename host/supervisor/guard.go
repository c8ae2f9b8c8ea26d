package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

// ErrMessageTooLarge is returned when a request or an answer exceeds the
// block's max_message_bytes. It wraps plugin.ErrInvalid.
var ErrMessageTooLarge = fmt.Errorf("message larger than max_message_bytes: %w", plugin.ErrInvalid)

// CallError is the error of a call into a plugin: it names the plugin
// block and the method, and unwraps to the cause, which carries the
// plugin error vocabulary.
type CallError struct {
	Key    string
	Method string
	Err    error
}

func (e *CallError) Error() string { return "plugin " + e.Key + ": " + e.Method + ": " + e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

// call runs f against the ready instance with the block's call deadline,
// records metrics and names the plugin in any error. It never holds a
// lock while f runs.
func (p *Plugin) call(ctx context.Context, method string, f func(context.Context, *plugin.Client) error) error {
	start := time.Now()
	in, err := p.ready()
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, p.set.call)
		err = f(cctx, in.rpc)
		cancel()
		err = p.callError(ctx, method, err)
	} else {
		err = &CallError{Key: p.key, Method: method, Err: err}
	}
	p.metrics.observe(p.key, method, start, err)
	return err
}

// callError names the plugin and method, and tells a message over the
// size limit apart from the store's own "too many pending requests",
// which shares its gRPC code. A call canceled while the caller's ctx is
// still live was cut by the plugin going away: gRPC cancels the calls of
// a connection that the supervisor closes after a crash, and that is the
// plugin being unavailable, not the caller giving up.
func (p *Plugin) callError(ctx context.Context, method string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, plugin.ErrCanceled) && ctx.Err() == nil:
		err = fmt.Errorf("call cut short (%v): %w", err, ErrNotReady)
	case errors.Is(err, plugin.ErrTooManyPending) && strings.Contains(err.Error(), "message larger than max"):
		err = fmt.Errorf("%s (limit %d bytes): %w", firstLine(err.Error(), 200), p.set.maxMessage, ErrMessageTooLarge)
	}
	return &CallError{Key: p.key, Method: method, Err: err}
}

// Auth returns the plugin's Auth protocol, guarded by deadline and state.
func (p *Plugin) Auth() plugin.Auth { return guardedAuth{p} }

// Pairing returns the plugin's Pairing protocol, guarded likewise.
func (p *Plugin) Pairing() plugin.Pairing { return guardedPairing{p} }

// Sessions returns the plugin's Sessions protocol, guarded likewise.
func (p *Plugin) Sessions() plugin.Sessions { return guardedSessions{p} }

type guardedAuth struct{ p *Plugin }

var _ plugin.Auth = guardedAuth{}

// Check fails closed: any error, and any verdict that is not a
// well-formed success or no-credential, is a denial.
func (g guardedAuth) Check(ctx context.Context, req *plugin.CheckRequest) (plugin.CheckResult, error) {
	var res plugin.CheckResult
	err := g.p.call(ctx, "Check", func(ctx context.Context, c *plugin.Client) (err error) {
		res, err = c.Auth().Check(ctx, req)
		return err
	})
	if err != nil {
		return plugin.CheckResult{}, err
	}
	switch {
	case res.Outcome == plugin.OutcomeSuccess && res.Principal.UserID == "":
		return plugin.CheckResult{}, fmt.Errorf("plugin %s: Check: success without a user id: %w",
			g.p.key, plugin.ErrInternal)
	case res.Outcome != plugin.OutcomeSuccess && res.Outcome != plugin.OutcomeNoCredential:
		return plugin.CheckResult{Outcome: plugin.OutcomeFailure, Reason: res.Reason}, nil
	}
	return res, nil
}

type guardedPairing struct{ p *Plugin }

var _ plugin.Pairing = guardedPairing{}

func (g guardedPairing) GenerateCode(ctx context.Context, req plugin.CodeRequest) (pr plugin.PendingRequest, reused bool, err error) {
	err = g.p.call(ctx, "GenerateCode", func(ctx context.Context, c *plugin.Client) (err error) {
		pr, reused, err = c.Pairing().GenerateCode(ctx, req)
		return err
	})
	if err == nil && pr.Code == "" {
		err = fmt.Errorf("plugin %s: GenerateCode: empty code: %w", g.p.key, plugin.ErrInternal)
	}
	if err != nil {
		return plugin.PendingRequest{}, false, err
	}
	return pr, reused, nil
}

func (g guardedPairing) Approve(ctx context.Context, a plugin.Approval) (pc plugin.PairedChannel, err error) {
	err = g.p.call(ctx, "Approve", func(ctx context.Context, c *plugin.Client) (err error) {
		pc, err = c.Pairing().Approve(ctx, a)
		return err
	})
	if err != nil {
		return plugin.PairedChannel{}, err
	}
	return pc, nil
}

func (g guardedPairing) Deny(ctx context.Context, d plugin.Denial) (pr plugin.PendingRequest, err error) {
	err = g.p.call(ctx, "Deny", func(ctx context.Context, c *plugin.Client) (err error) {
		pr, err = c.Pairing().Deny(ctx, d)
		return err
	})
	if err != nil {
		return plugin.PendingRequest{}, err
	}
	return pr, nil
}

// IsPaired fails closed: an error always comes with false.
func (g guardedPairing) IsPaired(ctx context.Context, channelID, channelType string) (paired bool, err error) {
	err = g.p.call(ctx, "IsPaired", func(ctx context.Context, c *plugin.Client) (err error) {
		paired, err = c.Pairing().IsPaired(ctx, channelID, channelType)
		return err
	})
	return paired && err == nil, err
}

func (g guardedPairing) ListPaired(ctx context.Context, pg plugin.Page) (cs []plugin.PairedChannel, next string, err error) {
	err = g.p.call(ctx, "ListPaired", func(ctx context.Context, c *plugin.Client) (err error) {
		cs, next, err = c.Pairing().ListPaired(ctx, pg)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return cs, next, nil
}

func (g guardedPairing) Revoke(ctx context.Context, r plugin.Revocation) (revoked bool, err error) {
	err = g.p.call(ctx, "Revoke", func(ctx context.Context, c *plugin.Client) (err error) {
		revoked, err = c.Pairing().Revoke(ctx, r)
		return err
	})
	return revoked && err == nil, err
}

func (g guardedPairing) ListPending(ctx context.Context, channelType string) (prs []plugin.PendingRequest, err error) {
	err = g.p.call(ctx, "ListPending", func(ctx context.Context, c *plugin.Client) (err error) {
		prs, err = c.Pairing().ListPending(ctx, channelType)
		return err
	})
	if err != nil {
		return nil, err
	}
	return prs, nil
}

func (g guardedPairing) ListAudit(ctx context.Context, pg plugin.Page) (rs []plugin.AuditRecord, next string, err error) {
	err = g.p.call(ctx, "ListAudit", func(ctx context.Context, c *plugin.Client) (err error) {
		rs, next, err = c.Pairing().ListAudit(ctx, pg)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return rs, next, nil
}

type guardedSessions struct{ p *Plugin }

var _ plugin.Sessions = guardedSessions{}

func (g guardedSessions) Bind(ctx context.Context, key string, pr plugin.Principal, expiresAt time.Time) error {
	return g.p.call(ctx, "Bind", func(ctx context.Context, c *plugin.Client) error {
		return c.Sessions().Bind(ctx, key, pr, expiresAt)
	})
}

// Lookup fails closed: a binding without a user id is an error.
func (g guardedSessions) Lookup(ctx context.Context, key string) (pr plugin.Principal, exp time.Time, err error) {
	err = g.p.call(ctx, "Lookup", func(ctx context.Context, c *plugin.Client) (err error) {
		pr, exp, err = c.Sessions().Lookup(ctx, key)
		return err
	})
	if err == nil && pr.UserID == "" {
		err = fmt.Errorf("plugin %s: Lookup: principal without a user id: %w", g.p.key, plugin.ErrInternal)
	}
	if err != nil {
		return plugin.Principal{}, time.Time{}, err
	}
	return pr, exp, nil
}

func (g guardedSessions) Delete(ctx context.Context, key string) (deleted bool, err error) {
	err = g.p.call(ctx, "Delete", func(ctx context.Context, c *plugin.Client) (err error) {
		deleted, err = c.Sessions().Delete(ctx, key)
		return err
	})
	return deleted && err == nil, err
}
