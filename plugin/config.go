package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Info is what a plugin says about itself: who it is, which protocols it
// serves and the schema of its config block.
type Info struct {
	Name      string
	Version   string
	Protocols []Protocol
	Schema    Schema
}

// Schema describes the body of a plugin's config block. The host checks an
// operator's block against it and reports every mistake with its file,
// line and column before the plugin sees anything.
type Schema struct {
	Attributes []Attribute
	Blocks     []Block
}

// Attribute is one attribute of a config block. Type is an HCL type
// constraint: "string", "number", "bool", "list(string)", "map(string)",
// and so on. Sensitive values are never logged or echoed by the host.
type Attribute struct {
	Name        string
	Type        string
	Required    bool
	Sensitive   bool
	Description string
}

// Block is a nested block of a config block. A repeated block arrives as a
// JSON array of objects; a block with labels arrives with its labels under
// the keys named in Labels.
type Block struct {
	Name        string
	Labels      []string
	Body        Schema
	Repeated    bool
	Required    bool
	Description string
}

// DecodeConfig decodes the JSON form of a config block into dst, refusing
// fields dst does not declare.
func DecodeConfig(raw []byte, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decode config: %v: %w", err, ErrInvalid)
	}
	return nil
}

// Duration is a time.Duration that decodes from a Go duration string such
// as "90s" or "1h", or from a number of seconds.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		parsed, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("duration %q: %w", v, err)
		}
		*d = Duration(parsed)
	case float64:
		*d = Duration(v * float64(time.Second))
	case nil:
		*d = 0
	default:
		return fmt.Errorf("duration: want a string such as \"30s\", got %s", b)
	}
	if *d < 0 {
		return fmt.Errorf("duration %s is negative", b)
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// PairingConfig holds the pairing settings every store accepts. Embed it
// in a store's config struct and add PairingAttributes to its schema.
type PairingConfig struct {
	CodeTTL    Duration `json:"code_ttl,omitempty"`
	MaxPending int      `json:"max_pending,omitempty"`
}

// PairingAttributes is the schema of PairingConfig.
var PairingAttributes = []Attribute{
	{Name: "code_ttl", Type: "string", Description: "How long a pairing code stays valid (default 1h)."},
	{Name: "max_pending", Type: "number", Description: "Open requests allowed per channel type (default 3)."},
}

// Resolved returns c with defaults applied, or ErrInvalid.
func (c PairingConfig) Resolved() (ttl time.Duration, maxPending int, err error) {
	ttl, maxPending = time.Duration(c.CodeTTL), c.MaxPending
	if ttl == 0 {
		ttl = DefaultCodeTTL
	}
	if maxPending == 0 {
		maxPending = DefaultMaxPending
	}
	if maxPending < 0 {
		return 0, 0, fmt.Errorf("max_pending must be positive: %w", ErrInvalid)
	}
	return ttl, maxPending, nil
}
