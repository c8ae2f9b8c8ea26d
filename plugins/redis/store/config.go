package store

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/redis/go-redis/v9"
)

// Defaults applied by Config.resolve when a setting is absent.
const (
	DefaultKeyPrefix    = "gatehouse:"
	DefaultDialTimeout  = 5 * time.Second
	DefaultReadTimeout  = 3 * time.Second
	DefaultWriteTimeout = 3 * time.Second
)

// Config is the JSON form of the plugin's config block. One block serves a
// single server, a Sentinel-managed primary (MasterName set) or a Cluster
// (several addresses, or Cluster set).
type Config struct {
	Addresses  []string `json:"addresses"`
	MasterName string   `json:"master_name,omitempty"`
	Cluster    bool     `json:"cluster,omitempty"`
	Username   string   `json:"username,omitempty"`
	Password   string   `json:"password,omitempty"`
	DB         int      `json:"db,omitempty"`
	TLS        *TLS     `json:"tls,omitempty"`

	KeyPrefix   string `json:"key_prefix,omitempty"`
	PoolSize    int    `json:"pool_size,omitempty"`
	AuditMaxLen int64  `json:"audit_max_len,omitempty"`

	DialTimeout  plugin.Duration `json:"dial_timeout,omitempty"`
	ReadTimeout  plugin.Duration `json:"read_timeout,omitempty"`
	WriteTimeout plugin.Duration `json:"write_timeout,omitempty"`

	plugin.PairingConfig
}

// TLS is the tls block of Config. An empty block turns TLS on with the
// system's roots.
type TLS struct {
	CAFile             string `json:"ca_file,omitempty"`
	CertFile           string `json:"cert_file,omitempty"`
	KeyFile            string `json:"key_file,omitempty"`
	ServerName         string `json:"server_name,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
}

// Schema is the schema of the plugin's config block.
var Schema = plugin.Schema{
	Attributes: append([]plugin.Attribute{
		{Name: "addresses", Type: "list(string)", Required: true, Description: "host:port of the server, of the Sentinels (with master_name) or of Cluster nodes."},
		{Name: "master_name", Type: "string", Description: "Sentinel master name; turns on Sentinel mode."},
		{Name: "cluster", Type: "bool", Description: "Cluster mode with a single address (several addresses imply it)."},
		{Name: "username", Type: "string", Description: "ACL user name."},
		{Name: "password", Type: "string", Sensitive: true, Description: "Password of the ACL user or requirepass; use env() or file()."},
		{Name: "db", Type: "number", Description: "Database number (0 on Cluster)."},
		{Name: "key_prefix", Type: "string", Description: `Prefix of every key (default "gatehouse:").`},
		{Name: "pool_size", Type: "number", Description: "Connections per node (default 10 per CPU)."},
		{Name: "audit_max_len", Type: "number", Description: "Approximate cap of the audit stream; 0 keeps every record (default)."},
		{Name: "dial_timeout", Type: "string", Description: "Bound on opening a connection (default 5s)."},
		{Name: "read_timeout", Type: "string", Description: "Bound on waiting for a reply (default 3s)."},
		{Name: "write_timeout", Type: "string", Description: "Bound on sending a command (default 3s)."},
	}, plugin.PairingAttributes...),
	Blocks: []plugin.Block{{
		Name:        "tls",
		Description: "Connect over TLS.",
		Body: plugin.Schema{Attributes: []plugin.Attribute{
			{Name: "ca_file", Type: "string", Description: "PEM file of the CAs that sign the server certificate."},
			{Name: "cert_file", Type: "string", Description: "PEM client certificate."},
			{Name: "key_file", Type: "string", Description: "PEM key of the client certificate."},
			{Name: "server_name", Type: "string", Description: "Name to verify in the server certificate."},
			{Name: "insecure_skip_verify", Type: "bool", Description: "Do not verify the server certificate (testing only)."},
		}},
	}},
}

// DecodeConfig decodes the JSON form of a config block.
func DecodeConfig(raw json.RawMessage) (Config, error) {
	var c Config
	err := plugin.DecodeConfig(raw, &c)
	return c, err
}

// settings are the resolved values a Store runs with.
type settings struct {
	prefix      string
	codeTTL     time.Duration
	maxPending  int
	auditMaxLen int64
	callTimeout time.Duration
}

// resolve checks c, applies defaults and returns the client options and
// the store settings. Every problem is reported at once.
func (c Config) resolve() (*redis.UniversalOptions, settings, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if len(c.Addresses) == 0 {
		bad("addresses: at least one address is required")
	}
	for _, a := range c.Addresses {
		if !strings.Contains(a, ":") {
			bad("addresses: %q is not host:port", a)
		}
	}
	cluster := c.Cluster || (c.MasterName == "" && len(c.Addresses) > 1)
	if cluster && c.DB != 0 {
		bad("db: Cluster has only database 0")
	}
	if c.DB < 0 || c.PoolSize < 0 || c.AuditMaxLen < 0 {
		bad("db, pool_size and audit_max_len must not be negative")
	}

	s := settings{prefix: c.KeyPrefix, auditMaxLen: c.AuditMaxLen}
	if s.prefix == "" {
		s.prefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(s.prefix, "{}") {
		bad("key_prefix: %q must not contain braces; the store adds its own hash tag", s.prefix)
	}
	ttl, maxPending, err := c.PairingConfig.Resolved()
	if err != nil {
		errs = append(errs, err)
	}
	s.codeTTL, s.maxPending = ttl, maxPending

	tlsConf, err := c.TLS.config()
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, settings{}, fmt.Errorf("redis config: %w: %w", errors.Join(errs...), plugin.ErrInvalid)
	}

	opts := c.options(cluster, tlsConf)
	s.callTimeout = opts.DialTimeout + opts.WriteTimeout + opts.ReadTimeout
	return opts, s, nil
}

// options builds the go-redis options. Retries are off: a command whose
// reply was lost must not run twice (an approval would then report "not
// found"), and broken pooled connections are dropped before reuse anyway.
func (c Config) options(cluster bool, tlsConf *tls.Config) *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Addrs:                 c.Addresses,
		MasterName:            c.MasterName,
		IsClusterMode:         cluster && c.MasterName == "",
		Username:              c.Username,
		Password:              c.Password,
		DB:                    c.DB,
		TLSConfig:             tlsConf,
		PoolSize:              c.PoolSize,
		MaxRetries:            -1,
		DialTimeout:           orDefault(c.DialTimeout, DefaultDialTimeout),
		ReadTimeout:           orDefault(c.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:          orDefault(c.WriteTimeout, DefaultWriteTimeout),
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
	}
}

func orDefault(d plugin.Duration, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// config builds the TLS client config, or nil when t is nil.
func (t *TLS) config() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	conf := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify,
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file: no PEM certificate in %s", t.CAFile)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
