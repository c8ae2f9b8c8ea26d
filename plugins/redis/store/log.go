package store

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"
)

// SetClientLogger sends the go-redis client's own messages (failed
// dials, pool trouble) to log as structured warnings instead of plain
// lines on stderr. The client logs addresses and errors, never
// credentials. It sets a process-wide logger; call it once from main.
func SetClientLogger(log hclog.Logger) {
	redis.SetLogger(clientLog{log})
}

// clientLog adapts hclog to the go-redis logging interface.
type clientLog struct{ log hclog.Logger }

func (c clientLog) Printf(_ context.Context, format string, v ...any) {
	c.log.Warn("redis client", "detail", fmt.Sprintf(format, v...))
}
