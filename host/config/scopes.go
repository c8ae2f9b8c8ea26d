package config

// Scopes a role can grant. The HTTP surface checks these.
const (
	ScopePairingRequest = "pairing.request" // open requests, ask is-paired
	ScopePairingRead    = "pairing.read"    // list pending, paired, audit
	ScopePairingApprove = "pairing.approve" // approve and deny
	ScopePairingRevoke  = "pairing.revoke"  // revoke a pairing
	ScopeEventsRead     = "events.read"     // subscribe to pairing events
	ScopePluginsRead    = "plugins.read"    // read plugin status
	ScopeAdmin          = "admin"           // reload and everything else
)

// AllScopes lists every scope, for validation.
var AllScopes = []string{
	ScopePairingRequest, ScopePairingRead, ScopePairingApprove,
	ScopePairingRevoke, ScopeEventsRead, ScopePluginsRead, ScopeAdmin,
}

// DefaultRoles are the roles a config gets when it declares none. A
// config's role blocks replace the default of the same name.
var DefaultRoles = map[string][]string{
	"admin": AllScopes,
	"operator": {
		ScopePairingRequest, ScopePairingRead, ScopePairingApprove,
		ScopePairingRevoke, ScopeEventsRead, ScopePluginsRead,
	},
	"channel": {ScopePairingRequest},
	"user":    {},
}
