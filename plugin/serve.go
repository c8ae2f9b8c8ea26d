package plugin

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/shared"
	pb "github.com/gatehouse/gatehouse/shared/gatehousev1"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// DefaultMaxMessageBytes is the largest gRPC message either side accepts
// when the host does not say otherwise.
const DefaultMaxMessageBytes = 16 << 20

// FlowWindowBytes is the fixed gRPC flow-control window of each stream
// and connection between host and plugin. A fixed window turns off
// gRPC's bandwidth probe, which would otherwise send a PING frame each
// way on most calls; on a local socket the probe finds nothing to tune.
const FlowWindowBytes = 1 << 20

// ServeConfig describes a plugin binary. Set a constructor for each
// protocol the binary serves; each builds one instance from the JSON form
// of the operator's config block (see DecodeConfig).
type ServeConfig struct {
	Name    string
	Version string
	Schema  Schema

	Auth     func(ctx context.Context, config json.RawMessage) (Auth, error)
	Pairing  func(ctx context.Context, config json.RawMessage) (Pairing, error)
	Sessions func(ctx context.Context, config json.RawMessage) (Sessions, error)
}

func (c ServeConfig) info() Info {
	i := Info{Name: c.Name, Version: c.Version, Schema: c.Schema}
	if c.Auth != nil {
		i.Protocols = append(i.Protocols, ProtocolAuth)
	}
	if c.Pairing != nil {
		i.Protocols = append(i.Protocols, ProtocolPairing)
	}
	if c.Sessions != nil {
		i.Protocols = append(i.Protocols, ProtocolSession)
	}
	return i
}

// Serve serves cfg over go-plugin gRPC until the host stops the plugin or
// dies. It is the whole body of a plugin's main.
func Serve(cfg ServeConfig) {
	s := newServer(cfg)
	defer s.close()
	defer startCPUProfile(Logger())()
	go exitWithParent(os.Getppid())

	limit := MaxMessageBytes()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{
			shared.ProtocolVersion: {shared.PluginName: &grpcPlugin{server: s}},
		},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(limit), grpc.MaxSendMsgSize(limit),
				grpc.InitialWindowSize(FlowWindowBytes), grpc.InitialConnWindowSize(FlowWindowBytes))
			return grpc.NewServer(opts...)
		},
		Logger: Logger(),
	})
}

// Logger returns the logger a plugin should use: JSON lines on stderr,
// which the host reads and re-emits tagged with the plugin's name.
func Logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       os.Getenv(shared.EnvPluginName),
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// MaxMessageBytes returns the gRPC message limit the host granted.
func MaxMessageBytes() int {
	n, err := strconv.Atoi(os.Getenv(shared.EnvMaxMessageBytes))
	if err != nil || n <= 0 {
		return DefaultMaxMessageBytes
	}
	return n
}

// exitWithParent ends the process once its parent has gone, so a plugin
// never outlives a host that was killed without a chance to stop it.
func exitWithParent(parent int) {
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			os.Exit(3)
		}
	}
}

// grpcPlugin joins this SDK to go-plugin: on the plugin side it registers
// the services, on the host side it returns a *Client.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	server *server
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, p.server)
	pb.RegisterAuthServer(s, p.server)
	pb.RegisterPairingServer(s, p.server)
	pb.RegisterSessionServer(s, p.server)
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewClient(c), nil
}

// HostPlugins is the plugin set a host passes to go-plugin; dispensing
// shared.PluginName yields a *Client.
func HostPlugins() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		shared.ProtocolVersion: {shared.PluginName: &grpcPlugin{}},
	}
}

// InProcess returns the go-plugin plugin set serving cfg, for tests that
// connect host and plugin sides in one process (see plugintest), and a
// function that closes what Configure built.
func InProcess(cfg ServeConfig) (goplugin.PluginSet, func() error) {
	s := newServer(cfg)
	return goplugin.PluginSet{shared.PluginName: &grpcPlugin{server: s}}, s.close
}
