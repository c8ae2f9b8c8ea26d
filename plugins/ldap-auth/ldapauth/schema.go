package ldapauth

import "github.com/gatehouse/gatehouse/plugin"

// Name is the plugin's name; the host runs gatehouse-plugin-ldap-auth.
const Name = "ldap-auth"

// Version is the plugin's version.
const Version = "0.1.0"

// Schema is the schema of the config block, published to the host.
func Schema() plugin.Schema {
	return plugin.Schema{Attributes: attributes}
}

var attributes = []plugin.Attribute{
	{Name: "url", Type: "list(string)", Required: true,
		Description: "Directory servers (ldap:// or ldaps://), tried in order."},
	{Name: "starttls", Type: "bool",
		Description: "Upgrade ldap:// connections with StartTLS."},
	{Name: "insecure_tls", Type: "bool",
		Description: "Skip TLS certificate verification. For tests only; logs a warning."},
	{Name: "certificate", Type: "string",
		Description: "PEM CA certificates that sign the servers' certificates, e.g. file(\"ca.pem\"). Default: system roots."},
	{Name: "client_tls_cert", Type: "string",
		Description: "PEM client certificate presented to the servers."},
	{Name: "client_tls_key", Type: "string", Sensitive: true,
		Description: "PEM key of client_tls_cert."},
	{Name: "tls_server_name", Type: "string",
		Description: "Name expected in the servers' certificates. Default: the URL's host."},
	{Name: "tls_min_version", Type: "string",
		Description: "Lowest TLS version: tls12 (default) or tls13."},
	{Name: "bind_dn", Type: "string",
		Description: "Service account that searches for users (search-then-bind)."},
	{Name: "bind_pass", Type: "string", Sensitive: true,
		Description: "Password of bind_dn; use env() or file()."},
	{Name: "discover_dn", Type: "bool",
		Description: "Search for users anonymously when bind_dn is not set."},
	{Name: "user_dn", Type: "string",
		Description: "Base DN under which users are searched."},
	{Name: "user_attr", Type: "string",
		Description: "Attribute holding the login name (default uid; sAMAccountName for Active Directory)."},
	{Name: "user_filter", Type: "string",
		Description: "Filter template for the user search; {{.UserAttr}} and {{.Username}} (escaped)."},
	{Name: "user_dn_template", Type: "string",
		Description: "Direct bind: DN template with {{.Username}} (escaped), default <user_attr>={{.Username}},<user_dn>."},
	{Name: "upn_domain", Type: "string",
		Description: "UPN bind: bind as <login>@<upn_domain> (Active Directory)."},
	{Name: "group_dn", Type: "string",
		Description: "Base DN of the group search; no group search when empty."},
	{Name: "group_filter", Type: "string",
		Description: "Filter template for groups; {{.Username}}, {{.UserDN}} (escaped)."},
	{Name: "group_attr", Type: "string",
		Description: "Attribute of a group entry holding its name (default cn)."},
	{Name: "user_group_attr", Type: "string",
		Description: "Attribute of the user entry listing group DNs, e.g. memberOf."},
	{Name: "group_roles", Type: "map(string)",
		Description: "Group DN or group name to role."},
	{Name: "default_role", Type: "string",
		Description: "Role when no group maps; empty denies such users."},
	{Name: "role_precedence", Type: "list(string)",
		Description: "Which role wins when groups map to several (default admin, operator, channel, user)."},
	{Name: "case_sensitive_names", Type: "bool",
		Description: "Keep the case of user and group names; by default they are lower-cased."},
	{Name: "request_timeout", Type: "string",
		Description: "Bound of each LDAP operation (default 5s)."},
	{Name: "connection_timeout", Type: "string",
		Description: "Bound of connecting to one server, TLS included (default 5s)."},
	{Name: "dereference_aliases", Type: "string",
		Description: "never (default), searching, finding or always."},
	{Name: "max_page_size", Type: "number",
		Description: "Page size of group searches; 0 disables paging."},
	{Name: "pool_size", Type: "number",
		Description: "Idle connections kept per server and purpose (default 4)."},
}
