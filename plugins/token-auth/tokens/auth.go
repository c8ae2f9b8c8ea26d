package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/plugin"
)

// DefaultHeader is the header that carries the token unless the config
// names another.
const DefaultHeader = "Authorization"

// Config is the token-auth config block.
type Config struct {
	// TokensFile is a tokens file written by Mint; relative to the
	// plugin's working directory.
	TokensFile string `json:"tokens_file"`
	// Header carries the token. With Authorization the value is
	// "Bearer <token>"; any other header carries the bare token.
	Header string `json:"header"`
	// Tokens are inline records: hashes from the config itself.
	Tokens []InlineToken `json:"token"`
}

// InlineToken is a token block of the config.
type InlineToken struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// Schema is the schema of Config that the plugin publishes.
var Schema = plugin.Schema{
	Attributes: []plugin.Attribute{
		{Name: "tokens_file", Type: "string",
			Description: "JSON-lines file of token hashes written by `gatehouse token mint`; re-read when it changes."},
		{Name: "header", Type: "string",
			Description: "Header carrying the token (default Authorization, scheme Bearer)."},
	},
	Blocks: []plugin.Block{{
		Name:        "token",
		Repeated:    true,
		Description: "A token given by its SHA-256, for services and first runs.",
		Body: plugin.Schema{Attributes: []plugin.Attribute{
			{Name: "id", Type: "string", Description: "Name of the token in logs (default derived from the hash)."},
			{Name: "sha256", Type: "string", Required: true, Description: "Hex SHA-256 of the whole token, ght_ included."},
			{Name: "user_id", Type: "string", Required: true, Description: "User the token authenticates."},
			{Name: "role", Type: "string", Required: true, Description: "Role of that user."},
		}},
	}},
}

// Auth checks bearer tokens against a Store. It is safe for concurrent
// use.
type Auth struct {
	store  *Store
	header string
}

var _ plugin.Auth = (*Auth)(nil)

// New builds an Auth from the JSON form of a config block.
func New(_ context.Context, raw json.RawMessage) (*Auth, error) {
	var cfg Config
	if err := plugin.DecodeConfig(raw, &cfg); err != nil {
		return nil, err
	}
	if cfg.TokensFile == "" && len(cfg.Tokens) == 0 {
		return nil, fmt.Errorf("set tokens_file or add a token block: %w", plugin.ErrInvalid)
	}
	store, err := OpenStore(cfg.TokensFile, inlineRecords(cfg.Tokens))
	if err != nil {
		return nil, err
	}
	header := cfg.Header
	if header == "" {
		header = DefaultHeader
	}
	return &Auth{store: store, header: http.CanonicalHeaderKey(header)}, nil
}

// inlineRecords turns token blocks into records.
func inlineRecords(in []InlineToken) []Record {
	out := make([]Record, 0, len(in))
	for _, t := range in {
		sum := strings.ToLower(strings.TrimSpace(t.SHA256))
		id := t.ID
		if id == "" && len(sum) >= 12 {
			id = "inline-" + sum[:12]
		}
		out = append(out, Record{ID: id, SHA256: sum, UserID: t.UserID, Role: t.Role})
	}
	return out
}

// Check implements plugin.Auth. A request without a Gatehouse token in
// the header gets OutcomeNoCredential, so the next plugin can try.
func (a *Auth) Check(_ context.Context, req *plugin.CheckRequest) (plugin.CheckResult, error) {
	token, res, ok := a.credential(req.Header)
	if !ok {
		return res, nil
	}
	rec, err := a.store.Lookup(token)
	switch {
	case errors.Is(err, plugin.ErrNotFound):
		return failure(err.Error()), nil
	case err != nil:
		return plugin.CheckResult{}, fmt.Errorf("look up token: %w", err)
	}
	return plugin.CheckResult{
		Outcome: plugin.OutcomeSuccess,
		Principal: plugin.Principal{
			UserID:   rec.UserID,
			Role:     rec.Role,
			Metadata: map[string]any{"token_id": rec.ID, "auth": "token"},
		},
	}, nil
}

// credential finds the one token in h. When there is none to look up,
// it returns the result to answer instead.
func (a *Auth) credential(h http.Header) (string, plugin.CheckResult, bool) {
	var found []string
	for _, v := range h.Values(a.header) {
		if t, ok := a.token(v); ok {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 0:
		return "", plugin.CheckResult{Outcome: plugin.OutcomeNoCredential}, false
	case len(found) > 1:
		return "", failure("several Gatehouse tokens in " + a.header), false
	case !WellFormed(found[0]):
		return "", failure("malformed Gatehouse token"), false
	}
	return found[0], plugin.CheckResult{}, true
}

// token returns the Gatehouse token in one header value, if it holds
// one: "Bearer ght_…" in Authorization, the bare token elsewhere. Other
// schemes and other bearer tokens belong to other plugins.
func (a *Auth) token(v string) (string, bool) {
	v = strings.TrimSpace(v)
	scheme, rest, found := strings.Cut(v, " ")
	switch {
	case found && strings.EqualFold(scheme, "Bearer"):
		v = strings.TrimSpace(rest)
	case a.header == DefaultHeader:
		return "", false
	}
	return v, strings.HasPrefix(v, Prefix)
}

// failure denies the request for reason, which must not hold the token.
func failure(reason string) plugin.CheckResult {
	return plugin.CheckResult{Outcome: plugin.OutcomeFailure, Reason: reason}
}
