# examples/ldap.hcl: people log in with directory accounts.
#
# ldap-auth comes first in the auth chain: a request with HTTP Basic
# credentials is checked against the directory. Requests with a bearer
# token pass on to token-auth (channel adapters, services).
#
#   export LDAP_BIND_PASSWORD='...'
#   gatehouse serve --config examples/ldap.hcl
#   curl -u alice -X POST http://127.0.0.1:8080/v1/login

plugin_dir = "bin/plugins"

listener "http" {
  address = "127.0.0.1:8080"
}

auth "ldap" {
  plugin = "ldap-auth"
  # The host gives up on a call after call_timeout (default 5s): leave
  # room for a hung first server (request_timeout) and the next one, or
  # the failover below never gets its turn and the client gets 503.
  call_timeout = "12s"
  config {
    # Tried in order; a server that refuses, drops or hangs costs at most
    # connection_timeout or request_timeout, then the next one is tried.
    url = ["ldap://ldap1.example.org", "ldap://ldap2.example.org"]

    # Encrypt: StartTLS on ldap:// (or use ldaps:// URLs), verified
    # against this CA. insecure_tls = true exists for tests only.
    starttls    = true
    certificate = file("/etc/gatehouse/ldap-ca.pem")

    # Search-then-bind: a service account finds exactly one entry, then
    # the user binds as it. The password comes from the environment.
    bind_dn   = "cn=gatehouse,ou=service,dc=example,dc=org"
    bind_pass = env("LDAP_BIND_PASSWORD")
    user_dn   = "ou=people,dc=example,dc=org"
    user_attr = "uid"
    # user_filter = "(&(objectClass=inetOrgPerson)({{.UserAttr}}={{.Username}}))"

    # Direct bind instead (no service account): drop bind_dn/bind_pass and
    # user_dn_template = "uid={{.Username}},ou=people,dc=example,dc=org"
    #
    # Active Directory UPN bind instead:
    # upn_domain = "corp.example.org"
    # user_dn    = "dc=corp,dc=example,dc=org"
    # user_attr  = "sAMAccountName"

    # Groups: searched under group_dn, or read from the user entry.
    group_dn   = "ou=groups,dc=example,dc=org"
    group_attr = "cn"
    # group_filter    = "(member={{.UserDN}})"
    # user_group_attr = "memberOf"

    # Group (by name or by DN) to role. Users whose groups map to nothing
    # get default_role; without it they are refused.
    group_roles = {
      "gatehouse-admins"                       = "admin"
      "ops"                                    = "operator"
      "cn=support,ou=groups,dc=example,dc=org" = "operator"
    }
    default_role = "user"

    request_timeout    = "5s"
    connection_timeout = "5s"
  }
}

auth "tokens" {
  plugin = "token-auth"
  config {
    tokens_file = "data/tokens.jsonl"
  }
}

pairing "sqlite" {
  plugin = "sqlite"
  config {
    path = "data/gatehouse.db"
  }
}

session "sqlite" {
  plugin = "sqlite"
  config {
    path = "data/gatehouse.db"
  }
}
