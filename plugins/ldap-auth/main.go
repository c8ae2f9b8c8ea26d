// Command gatehouse-plugin-ldap-auth is the ldap-auth plugin: it serves
// the Auth protocol against an LDAP directory. See package ldapauth.
package main

import (
	"github.com/gatehouse/gatehouse/plugin"
	"github.com/gatehouse/gatehouse/plugins/ldap-auth/ldapauth"
)

func main() {
	plugin.Serve(plugin.ServeConfig{
		Name:    ldapauth.Name,
		Version: ldapauth.Version,
		Schema:  ldapauth.Schema(),
		Auth:    ldapauth.Open,
	})
}
