package config

import "time"

// Defaults of the host's settings: what a config gets for everything it
// leaves out. They live here and nowhere else.
const (
	DefaultPluginDir      = "bin/plugins"
	DefaultAddress        = "127.0.0.1:8080"
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxHeaderBytes = 64 << 10
	DefaultReadTimeout    = 30 * time.Second
	DefaultWriteTimeout   = 30 * time.Second
	DefaultIdleTimeout    = 2 * time.Minute

	DefaultSessionTTL = 12 * time.Hour
	DefaultCookieName = "gatehouse_session"

	DefaultCallTimeout     = 5 * time.Second
	DefaultStartTimeout    = 10 * time.Second
	DefaultStopTimeout     = 5 * time.Second
	DefaultHealthInterval  = 10 * time.Second
	DefaultMaxRestarts     = 5
	DefaultMaxMessageBytes = 16 << 20
)

// defaultListener returns the listener a config gets without a listener
// block.
func defaultListener() Listener {
	return Listener{
		Address:        DefaultAddress,
		MaxBodyBytes:   DefaultMaxBodyBytes,
		MaxHeaderBytes: DefaultMaxHeaderBytes,
		ReadTimeout:    DefaultReadTimeout,
		WriteTimeout:   DefaultWriteTimeout,
		IdleTimeout:    DefaultIdleTimeout,
	}
}

// defaultSessions returns the session settings a config gets without a
// sessions block.
func defaultSessions() SessionSettings {
	return SessionSettings{
		TTL:          DefaultSessionTTL,
		CookieName:   DefaultCookieName,
		CookieSecure: false,
	}
}

// defaultRoles returns a deep copy of DefaultRoles.
func defaultRoles() map[string][]string {
	out := make(map[string][]string, len(DefaultRoles))
	for name, scopes := range DefaultRoles {
		out[name] = append([]string{}, scopes...)
	}
	return out
}

// defaultPluginBlock returns a plugin block with its timeouts and limits
// set to their defaults.
func defaultPluginBlock() *PluginBlock {
	return &PluginBlock{
		CallTimeout:     DefaultCallTimeout,
		StartTimeout:    DefaultStartTimeout,
		StopTimeout:     DefaultStopTimeout,
		HealthInterval:  DefaultHealthInterval,
		MaxRestarts:     DefaultMaxRestarts,
		MaxMessageBytes: DefaultMaxMessageBytes,
	}
}
