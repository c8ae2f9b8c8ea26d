# Mistakes in the host's own settings, all reported at once.
plugin_dir = "plugins"
listen_address = ":80"

listener "https" {
  address        = "127.0.0.1:8443"
  read_timeout   = "5 seconds"
  max_body_bytes = -1
  trusted_proxies = ["10.0.0.0/8", "proxy.internal"]
}

sessions {
  ttl         = "0s"
  cookie_name = "bad name"
}

role "robot" {
  scopes = ["pairing.request", "pairing.everything"]
}

role "robot" {
  scopes = []
}

auth "tokens" {
  plugin       = "../../usr/bin/evil"
  sha256       = "abc"
  call_timeout = 5
  secret       = env("GATEHOUSE_TEST_UNSET")
}

auth "tokens" {
  plugin = "token-auth"
}

auth "dir" {
  plugin = "with/slash"
  env    = { PASSWORD = env("GATEHOUSE_TEST_UNSET") }
}

pairing "one" {
  plugin = "sqlite"
}

pairing "two" {
  plugin = "sqlite"
}
