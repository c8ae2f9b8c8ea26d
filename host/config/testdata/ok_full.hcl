# Every host setting, several auth plugins, secrets from env() and file().
plugin_dir = "../bin/plugins"

listener "http" {
  address          = "0.0.0.0:9090"
  max_body_bytes   = 2097152
  max_header_bytes = 32768
  read_timeout     = "10s"
  write_timeout    = "20s"
  idle_timeout     = "1m"
  trusted_proxies  = ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]
}

sessions {
  ttl           = "1h"
  cookie_name   = "gh_sess"
  cookie_secure = true
}

role "operator" {
  scopes = ["pairing.read", "pairing.approve"]
}

role "robot" {
  scopes = ["pairing.request", "plugins.read"]
}

auth "directory" {
  plugin          = "sample"
  sha256          = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  env             = { LDAP_PASSWORD = env("GATEHOUSE_TEST_SECRET"), TZ = "UTC" }
  call_timeout    = "2s"
  start_timeout   = "20s"
  stop_timeout    = "3s"
  health_interval = "30s"
  max_restarts    = 0
  max_message_bytes = 1048576

  config {
    url       = ["ldap://127.0.0.1:3389", "ldap://127.0.0.2:3389"]
    bind_dn   = "cn=svc,dc=example,dc=org"
    bind_pass = file("secret.txt")
    retries   = 3
    labels    = { site = "a", key = env("GATEHOUSE_TEST_SECRET") }

    group "admins" {
      role  = "admin"
      token = "Bearer ${env("GATEHOUSE_TEST_SECRET")}"
    }
    group "staff" {
      role = "operator"
    }
  }
}

auth "tokens" {
  plugin = "token-auth"
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
