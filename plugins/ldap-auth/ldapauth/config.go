package ldapauth

import (
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
	"github.com/go-ldap/ldap/v3"
)

// Defaults of the config block, all in one place.
const (
	DefaultUserAttr          = "uid"
	DefaultUserFilter        = "({{.UserAttr}}={{.Username}})"
	DefaultGroupFilter       = "(|(memberUid={{.Username}})(member={{.UserDN}})(uniqueMember={{.UserDN}}))"
	DefaultGroupAttr         = "cn"
	DefaultRequestTimeout    = 5 * time.Second
	DefaultConnectionTimeout = 5 * time.Second
	DefaultPoolSize          = 4
	DefaultRetryAfter        = 30 * time.Second
)

// DefaultRolePrecedence ranks the host's default roles, strongest first.
var DefaultRolePrecedence = []string{"admin", "operator", "channel", "user"}

// Config is the config block of one ldap-auth instance. The JSON names are
// the HCL attribute names; see Schema for their meaning.
type Config struct {
	URL               []string          `json:"url"`
	StartTLS          bool              `json:"starttls,omitempty"`
	InsecureTLS       bool              `json:"insecure_tls,omitempty"`
	Certificate       string            `json:"certificate,omitempty"`
	ClientTLSCert     string            `json:"client_tls_cert,omitempty"`
	ClientTLSKey      string            `json:"client_tls_key,omitempty"`
	TLSServerName     string            `json:"tls_server_name,omitempty"`
	TLSMinVersion     string            `json:"tls_min_version,omitempty"`
	BindDN            string            `json:"bind_dn,omitempty"`
	BindPass          string            `json:"bind_pass,omitempty"`
	DiscoverDN        bool              `json:"discover_dn,omitempty"`
	UserDN            string            `json:"user_dn,omitempty"`
	UserAttr          string            `json:"user_attr,omitempty"`
	UserFilter        string            `json:"user_filter,omitempty"`
	UserDNTemplate    string            `json:"user_dn_template,omitempty"`
	UPNDomain         string            `json:"upn_domain,omitempty"`
	GroupDN           string            `json:"group_dn,omitempty"`
	GroupFilter       string            `json:"group_filter,omitempty"`
	GroupAttr         string            `json:"group_attr,omitempty"`
	UserGroupAttr     string            `json:"user_group_attr,omitempty"`
	GroupRoles        map[string]string `json:"group_roles,omitempty"`
	DefaultRole       string            `json:"default_role,omitempty"`
	RolePrecedence    []string          `json:"role_precedence,omitempty"`
	CaseSensitive     bool              `json:"case_sensitive_names,omitempty"`
	RequestTimeout    plugin.Duration   `json:"request_timeout,omitempty"`
	ConnectionTimeout plugin.Duration   `json:"connection_timeout,omitempty"`
	DereferenceAlias  string            `json:"dereference_aliases,omitempty"`
	MaxPageSize       int               `json:"max_page_size,omitempty"`
	PoolSize          int               `json:"pool_size,omitempty"`
}

// mode is how a login is turned into a bind.
type mode int

const (
	modeSearch mode = iota // search the entry, then bind as its DN
	modeDirect             // bind as a DN built from a template
	modeUPN                // bind as user@upn_domain
)

func (m mode) String() string {
	return [...]string{"search", "direct", "upn"}[m]
}

// settings is a Config after defaults and validation.
type settings struct {
	Config
	mode        mode
	urls        []*url.URL
	userFilter  *template.Template
	groupFilter *template.Template
	dnTemplate  *template.Template
	deref       int
	roleKeys    []roleKey
}

// roleKey is one key of group_roles: a group DN or a group name.
type roleKey struct {
	dn   *ldap.DN
	name string
	role string
}

// resolve applies defaults and checks c, reporting every problem at once.
func (c Config) resolve() (*settings, error) {
	s := &settings{Config: c}
	s.applyDefaults()
	var errs []string
	check := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	check(s.parseURLs())
	check(s.chooseMode())
	check(s.parseTemplates())
	check(s.parseDeref())
	check(s.parseRoles())
	check(s.checkNumbers())
	if len(errs) > 0 {
		return nil, fmt.Errorf("ldap-auth config: %s: %w", strings.Join(errs, "; "), plugin.ErrInvalid)
	}
	return s, nil
}

func (s *settings) applyDefaults() {
	if s.UserAttr == "" {
		s.UserAttr = DefaultUserAttr
	}
	if s.UserFilter == "" {
		s.UserFilter = DefaultUserFilter
	}
	if s.GroupFilter == "" {
		s.GroupFilter = DefaultGroupFilter
	}
	if s.GroupAttr == "" {
		s.GroupAttr = DefaultGroupAttr
	}
	if s.RequestTimeout == 0 {
		s.RequestTimeout = plugin.Duration(DefaultRequestTimeout)
	}
	if s.ConnectionTimeout == 0 {
		s.ConnectionTimeout = plugin.Duration(DefaultConnectionTimeout)
	}
	if s.PoolSize == 0 {
		s.PoolSize = DefaultPoolSize
	}
	if s.RolePrecedence == nil {
		s.RolePrecedence = DefaultRolePrecedence
	}
}

func (s *settings) parseURLs() error {
	if len(s.URL) == 0 {
		return fmt.Errorf("url: at least one server URL is required")
	}
	for _, raw := range s.URL {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("url %q: %v", raw, err)
		}
		if u.Scheme != "ldap" && u.Scheme != "ldaps" {
			return fmt.Errorf("url %q: scheme must be ldap or ldaps", raw)
		}
		if u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("url %q: want ldap[s]://host[:port]", raw)
		}
		if u.Scheme == "ldaps" && s.StartTLS {
			return fmt.Errorf("url %q: starttls cannot be used with ldaps", raw)
		}
		s.urls = append(s.urls, u)
	}
	return nil
}

// chooseMode picks the bind mode: a service account or discover_dn means
// search-then-bind, upn_domain means UPN bind, otherwise direct bind.
func (s *settings) chooseMode() error {
	switch {
	case (s.BindDN == "") != (s.BindPass == ""):
		return fmt.Errorf("bind_dn and bind_pass must be set together")
	case s.BindDN != "" || s.DiscoverDN:
		s.mode = modeSearch
		if s.UPNDomain != "" || s.UserDNTemplate != "" {
			return fmt.Errorf("upn_domain and user_dn_template cannot be combined with bind_dn or discover_dn")
		}
		if s.UserDN == "" {
			return fmt.Errorf("user_dn is required to search for users")
		}
	case s.UPNDomain != "":
		s.mode = modeUPN
		if s.UserDN == "" {
			return fmt.Errorf("user_dn is required with upn_domain")
		}
		if s.UserDNTemplate != "" {
			return fmt.Errorf("user_dn_template cannot be combined with upn_domain")
		}
	default:
		s.mode = modeDirect
		if s.UserDN == "" && s.UserDNTemplate == "" {
			return fmt.Errorf("set bind_dn, discover_dn, upn_domain, user_dn or user_dn_template to say how users are found")
		}
	}
	return nil
}

func (s *settings) parseTemplates() error {
	var err error
	parse := func(name, text string) *template.Template {
		if err != nil {
			return nil
		}
		var t *template.Template
		t, err = template.New(name).Option("missingkey=error").Parse(text)
		if err == nil {
			_, err = render(t, templateData{UserAttr: "uid", Username: "u", UserDN: "uid=u"})
		}
		if err != nil {
			err = fmt.Errorf("%s: %v", name, err)
		}
		return t
	}
	s.userFilter = parse("user_filter", s.UserFilter)
	s.groupFilter = parse("group_filter", s.GroupFilter)
	if s.UserDNTemplate != "" {
		s.dnTemplate = parse("user_dn_template", s.UserDNTemplate)
	}
	return err
}

func (s *settings) parseDeref() error {
	switch strings.ToLower(s.DereferenceAlias) {
	case "", "never":
		s.deref = ldap.NeverDerefAliases
	case "searching":
		s.deref = ldap.DerefInSearching
	case "finding":
		s.deref = ldap.DerefFindingBaseObj
	case "always":
		s.deref = ldap.DerefAlways
	default:
		return fmt.Errorf("dereference_aliases %q: want never, searching, finding or always", s.DereferenceAlias)
	}
	return nil
}

// parseRoles reads group_roles: a key with "=" is a group DN, any other
// key a group name.
func (s *settings) parseRoles() error {
	for key, role := range s.GroupRoles {
		if role == "" {
			return fmt.Errorf("group_roles[%q]: role is empty", key)
		}
		k := roleKey{name: key, role: role}
		if strings.Contains(key, "=") {
			dn, err := ldap.ParseDN(key)
			if err != nil {
				return fmt.Errorf("group_roles[%q]: %v", key, err)
			}
			k.dn = dn
		}
		s.roleKeys = append(s.roleKeys, k)
	}
	return nil
}

func (s *settings) checkNumbers() error {
	switch {
	case s.MaxPageSize < 0:
		return fmt.Errorf("max_page_size must not be negative")
	case s.PoolSize < 0:
		return fmt.Errorf("pool_size must not be negative")
	case s.TLSMinVersion != "" && s.TLSMinVersion != "tls12" && s.TLSMinVersion != "tls13":
		return fmt.Errorf("tls_min_version %q: want tls12 or tls13", s.TLSMinVersion)
	}
	return nil
}
