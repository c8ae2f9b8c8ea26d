package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugin/plugintest"
)

// allow admits everyone as "u"; it is the simplest Auth to configure.
type allow struct{}

func (allow) Check(context.Context, *plugin.CheckRequest) (plugin.CheckResult, error) {
	return plugin.CheckResult{Outcome: plugin.OutcomeSuccess, Principal: plugin.Principal{UserID: "u"}}, nil
}

func serveConfig() plugin.ServeConfig {
	return plugin.ServeConfig{
		Name: "lifecycle", Version: "1",
		Schema: plugin.Schema{Attributes: []plugin.Attribute{{Name: "fail", Type: "bool"}}},
		Auth: func(_ context.Context, raw json.RawMessage) (plugin.Auth, error) {
			var cfg struct {
				Fail bool `json:"fail"`
			}
			if err := plugin.DecodeConfig(raw, &cfg); err != nil {
				return nil, err
			}
			if cfg.Fail {
				return nil, errors.New("told to fail")
			}
			return allow{}, nil
		},
	}
}

func TestInfoOverWire(t *testing.T) {
	c := plugintest.Connect(t, serveConfig())
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatalf("Info() error = %v", err)
	}
	if info.Name != "lifecycle" || len(info.Protocols) != 1 || info.Protocols[0] != plugin.ProtocolAuth ||
		len(info.Schema.Attributes) != 1 || info.Schema.Attributes[0].Type != "bool" {
		t.Errorf("Info() = %+v, want name lifecycle, protocol auth, one bool attribute", info)
	}
}

func TestConfigureLifecycle(t *testing.T) {
	ctx := t.Context()
	req := &plugin.CheckRequest{Method: "GET", Path: "/"}
	c := plugintest.Connect(t, serveConfig())

	if _, err := c.Auth().Check(ctx, req); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("Check before Configure error = %v, want ErrUnavailable", err)
	}
	if err := c.Configure(ctx, plugin.ProtocolPairing, "x", nil); !errors.Is(err, plugin.ErrUnimplemented) {
		t.Errorf("Configure(pairing) error = %v, want ErrUnimplemented", err)
	}
	if err := c.Configure(ctx, plugin.ProtocolAuth, "x", []byte(`{"fial":true}`)); !errors.Is(err, plugin.ErrInvalid) {
		t.Errorf("Configure(unknown field) error = %v, want ErrInvalid", err)
	}
	if err := c.Configure(ctx, plugin.ProtocolAuth, "x", []byte(`{"fail":true}`)); err == nil {
		t.Error("Configure(failing constructor) error = nil, want an error")
	}
	if _, err := c.Auth().Check(ctx, req); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("Check after failed Configure error = %v, want ErrUnavailable", err)
	}

	if err := c.Configure(ctx, plugin.ProtocolAuth, "x", []byte(`{}`)); err != nil {
		t.Fatalf("Configure(auth) error = %v", err)
	}
	res, err := c.Auth().Check(ctx, req)
	if err != nil || res.Outcome != plugin.OutcomeSuccess || res.Principal.UserID != "u" {
		t.Errorf("Check() = %+v, %v, want success as u", res, err)
	}
	if err := c.Configure(ctx, plugin.ProtocolAuth, "x", []byte(`{}`)); !errors.Is(err, plugin.ErrConflict) {
		t.Errorf("second Configure error = %v, want ErrConflict", err)
	}
	if _, err := c.Pairing().IsPaired(ctx, "i", "t"); !errors.Is(err, plugin.ErrUnavailable) {
		t.Errorf("IsPaired on an auth plugin error = %v, want ErrUnavailable", err)
	}
}
