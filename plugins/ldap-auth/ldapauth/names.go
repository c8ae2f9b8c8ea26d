package ldapauth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// Limits on what a client may send, checked before any network call.
const (
	maxLoginBytes    = 256
	maxPasswordBytes = 1024
)

// errNoBasic means the request carries no Basic credential.
var errNoBasic = errors.New("no basic credential")

// basicCredentials returns the login and password of the one Basic
// Authorization header of h. errNoBasic means there is none; any other
// error is a malformed or ambiguous credential.
func basicCredentials(h http.Header) (login, password string, err error) {
	var found []string
	for _, v := range h.Values("Authorization") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Basic") {
			found = append(found, strings.TrimSpace(rest))
		}
	}
	switch len(found) {
	case 0:
		return "", "", errNoBasic
	case 1:
	default:
		return "", "", errors.New("several basic credentials")
	}

	raw, err := base64.StdEncoding.DecodeString(found[0])
	if err != nil {
		return "", "", errors.New("malformed basic credential")
	}
	login, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("malformed basic credential")
	}
	return login, password, nil
}

// checkLogin refuses logins and passwords that can never authenticate,
// so that no such value reaches the network. The reason never quotes the
// password.
func checkLogin(login, password string) string {
	switch {
	case strings.TrimSpace(password) == "":
		return "empty password"
	case len(password) > maxPasswordBytes:
		return "password too long"
	case strings.TrimSpace(login) == "":
		return "empty login"
	case strings.TrimSpace(login) != login:
		// Directories ignore these spaces when matching, which would give
		// one person several user ids.
		return "login has leading or trailing spaces"
	case len(login) > maxLoginBytes:
		return "login too long"
	case !utf8.ValidString(login):
		return "login is not valid UTF-8"
	case strings.IndexFunc(login, unicode.IsControl) >= 0:
		return "login contains control characters"
	}
	return ""
}

// templateData holds the values a filter or DN template may use. Values
// are escaped for the template's context before rendering.
type templateData struct {
	UserAttr string
	Username string
	UserDN   string
}

func render(t *template.Template, d templateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// filterData escapes every value for an RFC 4515 filter.
func filterData(attr, username, userDN string) templateData {
	return templateData{
		UserAttr: attr,
		Username: ldap.EscapeFilter(username),
		UserDN:   ldap.EscapeFilter(userDN),
	}
}

// escapeDNValue escapes v for use as an RFC 4514 attribute value. It
// relies on ldap.EscapeDN (special characters, a leading '#' or space, a
// trailing space, NUL) and also hex-escapes '=' and other control
// characters, which RFC 4514 allows and some servers parse poorly.
func escapeDNValue(v string) string {
	var b strings.Builder
	for _, r := range ldap.EscapeDN(v) {
		switch {
		case r == '=':
			b.WriteString(`\3d`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\`)
			b.WriteString(hexByte(byte(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// normalise applies the case setting to a user or group name.
func (s *settings) normalise(name string) string {
	if s.CaseSensitive {
		return name
	}
	return strings.ToLower(name)
}

// canonicalLogin returns the spelling of login stored in the entry's
// user attribute: the value equal to login, else one equal but for case,
// else the attribute's only value, so that every spelling the directory
// matches yields the same user id. Without any, it returns login.
func canonicalLogin(e *ldap.Entry, attr, login string) string {
	values := e.GetEqualFoldAttributeValues(attr)
	for _, v := range values {
		if v == login {
			return v
		}
	}
	for _, v := range values {
		if strings.EqualFold(v, login) {
			return v
		}
	}
	if len(values) == 1 {
		return values[0]
	}
	return login
}

// upnName returns the bind name for login in UPN mode: login@domain. A
// login that already names the domain is accepted; another domain is not.
func upnName(login, domain string) (string, bool) {
	user, dom, hasAt := strings.Cut(login, "@")
	switch {
	case !hasAt:
		return login + "@" + domain, true
	case strings.EqualFold(dom, domain) && user != "" && !strings.Contains(dom, "@"):
		return user + "@" + domain, true
	}
	return "", false
}
