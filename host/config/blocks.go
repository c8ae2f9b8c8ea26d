package config

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var (
	listenerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "address"}, {Name: "max_body_bytes"}, {Name: "max_header_bytes"},
		{Name: "read_timeout"}, {Name: "write_timeout"}, {Name: "idle_timeout"},
		{Name: "trusted_proxies"},
	}}
	sessionsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "ttl"}, {Name: "cookie_name"}, {Name: "cookie_secure"},
	}}
	roleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "scopes", Required: true},
	}}
	pluginSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "plugin", Required: true}, {Name: "sha256"}, {Name: "env"},
			{Name: "call_timeout"}, {Name: "start_timeout"}, {Name: "stop_timeout"},
			{Name: "health_interval"}, {Name: "max_restarts"},
			{Name: "max_message_bytes"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "config"}},
	}
)

var (
	pluginNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	sha256RE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	cookieNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// listener decodes the listener block.
func (d *decoder) listener(b *hcl.Block) {
	if b.Labels[0] != "http" {
		d.errorf(b.LabelRanges[0], "Unsupported listener type",
			"The only listener type is \"http\".")
	}
	content, diags := b.Body.Content(listenerSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	l := &d.cfg.Listener

	d.setStr(attrs["address"], &l.Address)
	if a := attrs["max_body_bytes"]; a != nil {
		if n, ok := d.integer(a, 1); ok {
			l.MaxBodyBytes = n
		}
	}
	d.setInt(attrs["max_header_bytes"], 1, &l.MaxHeaderBytes)
	d.setDuration(attrs["read_timeout"], &l.ReadTimeout)
	d.setDuration(attrs["write_timeout"], &l.WriteTimeout)
	d.setDuration(attrs["idle_timeout"], &l.IdleTimeout)
	if a := attrs["trusted_proxies"]; a != nil {
		l.TrustedProxies = d.prefixes(a)
	}
}

// prefixes decodes a list of CIDR prefixes or single addresses.
func (d *decoder) prefixes(a *hcl.Attribute) []netip.Prefix {
	v, ok := d.value(a, cty.List(cty.String))
	if !ok || v.IsNull() {
		return nil
	}
	var out []netip.Prefix
	for _, e := range v.AsValueSlice() {
		s := e.AsString()
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				d.errorf(a.Expr.Range(), "Invalid address",
					"%q is neither an address nor a CIDR prefix such as \"10.0.0.0/8\".", s)
				continue
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// sessions decodes the host's session settings.
func (d *decoder) sessions(b *hcl.Block) {
	content, diags := b.Body.Content(sessionsSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	s := &d.cfg.Sessions

	d.setDuration(attrs["ttl"], &s.TTL)
	if a := attrs["cookie_name"]; a != nil {
		if v, ok := d.str(a); ok && !cookieNameRE.MatchString(v) {
			d.errorf(a.Expr.Range(), "Invalid cookie name",
				"A cookie name is letters, digits and !#$%%&'*+-.^_`|~, not empty.")
		} else if ok {
			s.CookieName = v
		}
	}
	if a := attrs["cookie_secure"]; a != nil {
		if v, ok := d.boolean(a); ok {
			s.CookieSecure = v
		}
	}
}

// role decodes a role block; it replaces the default role of its name.
func (d *decoder) role(b *hcl.Block) {
	content, diags := b.Body.Content(roleSchema)
	d.diags = append(d.diags, diags...)
	attr := content.Attributes["scopes"]
	if attr == nil {
		return
	}
	exprs, diags := hcl.ExprList(attr.Expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return
	}

	scopes := []string{}
	valid := true
	for _, expr := range exprs {
		scope, ok := d.value(&hcl.Attribute{Name: "scopes", Expr: expr}, cty.String)
		if !ok {
			valid = false
			continue
		}
		if !slices.Contains(AllScopes, scope.AsString()) {
			d.errorf(expr.Range(), "Unknown scope",
				"The scopes are: %s.", quoteAll(AllScopes))
			valid = false
			continue
		}
		scopes = append(scopes, scope.AsString())
	}
	if valid {
		d.cfg.Roles[b.Labels[0]] = scopes
	}
}

// pluginBlock decodes an auth, pairing or session block.
func (d *decoder) pluginBlock(b *hcl.Block) *PluginBlock {
	pb := defaultPluginBlock()
	pb.Protocol = plugin.Protocol(b.Type)
	pb.Name = b.Labels[0]
	pb.DeclRange = b.DefRange
	pb.dir = d.dir

	content, diags := b.Body.Content(pluginSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes

	d.pluginName(attrs["plugin"], pb)
	d.pin(attrs["sha256"], pb)
	d.env(attrs["env"], pb)
	d.setDuration(attrs["call_timeout"], &pb.CallTimeout)
	d.setDuration(attrs["start_timeout"], &pb.StartTimeout)
	d.setDuration(attrs["stop_timeout"], &pb.StopTimeout)
	d.setDuration(attrs["health_interval"], &pb.HealthInterval)
	d.setInt(attrs["max_restarts"], 0, &pb.MaxRestarts)
	d.setInt(attrs["max_message_bytes"], 1024, &pb.MaxMessageBytes)

	for i, cb := range content.Blocks {
		if i > 0 {
			d.errorf(cb.DefRange, "Duplicate config block",
				"A plugin block holds one config block; the first was declared at %s.",
				content.Blocks[0].DefRange)
			continue
		}
		pb.Body = cb.Body
	}
	return pb
}

// pluginName checks that plugin names a binary inside plugin_dir.
func (d *decoder) pluginName(attr *hcl.Attribute, pb *PluginBlock) {
	if attr == nil {
		return
	}
	name, ok := d.str(attr)
	if !ok {
		return
	}
	if !pluginNameRE.MatchString(name) {
		d.errorf(attr.Expr.Range(), "Invalid plugin name",
			"A plugin is named by the binary gatehouse-plugin-<name> in plugin_dir; "+
				"the name is lower-case letters, digits, '-' and '_', "+
				"without slashes or dots, so it cannot point outside plugin_dir.")
		return
	}
	pb.Plugin = name
}

// pin checks the optional SHA-256 of the binary.
func (d *decoder) pin(attr *hcl.Attribute, pb *PluginBlock) {
	if attr == nil {
		return
	}
	sum, ok := d.str(attr)
	if ok && !sha256RE.MatchString(sum) {
		d.errorf(attr.Expr.Range(), "Invalid checksum",
			"The sha256 attribute is 64 lower-case hexadecimal digits, as printed by sha256sum.")
		return
	}
	pb.SHA256 = sum
}

// env decodes the environment granted to the plugin.
func (d *decoder) env(attr *hcl.Attribute, pb *PluginBlock) {
	if attr == nil {
		return
	}
	v, ok := d.secretValue(attr, cty.Map(cty.String))
	if !ok {
		return
	}
	v, _ = v.UnmarkDeep()
	pb.Env = Env{}
	for name, val := range v.AsValueMap() {
		if !envNameRE.MatchString(name) {
			d.errorf(attr.Expr.Range(), "Invalid environment variable name",
				"The name %q is not a valid environment variable name.", name)
			continue
		}
		if val.IsNull() {
			continue
		}
		pb.Env[name] = val.AsString()
	}
}

// quoteAll returns names quoted and joined with commas.
func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
