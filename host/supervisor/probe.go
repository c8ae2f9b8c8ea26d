package supervisor

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/host/config"
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/go-hclog"
)

// Probe launches the plugin of block b only to read its Info, then stops
// it. `gatehouse validate` uses it to check a config block against the
// schema its plugin publishes.
func Probe(ctx context.Context, dir string, b *config.PluginBlock, opts Options) (plugin.Info, error) {
	path, _, err := Resolve(dir, b)
	if err != nil {
		return plugin.Info{}, err
	}
	sock, created, err := socketDir(opts.SocketDir)
	if err != nil {
		return plugin.Info{}, err
	}
	if created {
		defer removeDir(sock)
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	l := &launcher{path: path, block: b, set: settingsOf(b, opts), sockDir: sock,
		out: &outputLog{}, log: log.Named(b.Key())}

	in, err := l.start(func(*instance) {})
	if err != nil {
		return plugin.Info{}, err
	}
	defer in.stop(l.set.stop)
	cctx, cancel := context.WithTimeout(ctx, l.set.call)
	defer cancel()
	info, err := in.rpc.Info(cctx)
	if err != nil {
		return plugin.Info{}, fmt.Errorf("plugin binary %q: info: %w", path, err)
	}
	return info, nil
}
