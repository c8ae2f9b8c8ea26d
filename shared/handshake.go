// Package shared holds the wire contract between the Gatehouse host and its
// plugins: the go-plugin handshake and the generated gRPC services in
// package gatehousev1.
package shared

import goplugin "github.com/hashicorp/go-plugin"

// ProtocolVersion is the version of the plugin protocol this build speaks.
// It changes only when the wire contract breaks compatibility.
const ProtocolVersion = 1

// PluginName is the single go-plugin plugin that every Gatehouse binary
// serves; it carries whichever protocols the binary implements.
const PluginName = "gatehouse"

// BinaryPrefix is the file name prefix of plugin binaries in plugin_dir:
// plugin "sqlite" runs "gatehouse-plugin-sqlite".
const BinaryPrefix = "gatehouse-plugin-"

// Environment variables the host sets for a plugin.
const (
	// EnvMaxMessageBytes carries the largest gRPC message, in bytes, that
	// either side accepts.
	EnvMaxMessageBytes = "GATEHOUSE_MAX_MESSAGE_BYTES"
	// EnvPluginName carries the plugin's block label, for its logs.
	EnvPluginName = "GATEHOUSE_PLUGIN_NAME"
)

// Handshake is the go-plugin handshake. The cookie is not a secret: it
// only stops a plugin binary from being run by hand by mistake.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "GATEHOUSE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "8c1f4e0a5b7d4c2e9f3a6b1d0e7c5a4f",
}
