package testenv

import "fmt"

// TokenSQLiteConfig is the HCL of a token-auth block named "tokens" that
// reads tokensFile, and of SQLite pairing and session blocks on one file
// in the host's directory (StartHost fills {{.Dir}}). Tests append their
// own blocks to it.
func TokenSQLiteConfig(tokensFile string) string {
	return fmt.Sprintf(`
auth "tokens" {
  plugin = "token-auth"
  config {
    tokens_file = %q
  }
}

pairing "sqlite" {
  plugin = "sqlite"
  config {
    path = "{{.Dir}}/gatehouse.db"
  }
}

session "sqlite" {
  plugin = "sqlite"
  config {
    path = "{{.Dir}}/gatehouse.db"
  }
}
`, tokensFile)
}

// NginxAuthRequest is an nginx server template for StartNginx: every
// request is first sent to Gatehouse's forward-auth endpoint at
// {{.Vars.auth}}, then proxied to {{.Vars.upstream}} with the identity
// headers Gatehouse answered. proxy_set_header also drops the client's
// headers of those names, so a spoofed identity never reaches upstream.
const NginxAuthRequest = `
server {
	listen {{.Listen}};

	location = /_gatehouse {
		internal;
		proxy_pass {{.Vars.auth}}/v1/forward-auth;
		proxy_pass_request_body off;
		proxy_set_header Content-Length "";
		proxy_set_header X-Original-URI $request_uri;
		proxy_set_header X-Original-Method $request_method;
	}

	location / {
		auth_request /_gatehouse;
		auth_request_set $gh_user $upstream_http_x_gatehouse_user;
		auth_request_set $gh_role $upstream_http_x_gatehouse_role;
		auth_request_set $gh_scopes $upstream_http_x_gatehouse_scopes;
		proxy_set_header X-Gatehouse-User $gh_user;
		proxy_set_header X-Gatehouse-Role $gh_role;
		proxy_set_header X-Gatehouse-Scopes $gh_scopes;
		proxy_pass {{.Vars.upstream}};
	}
}
`
