# config.hcl: the default Gatehouse config that `make run` serves.
# Token auth and SQLite, no server to install; data lives under data/.

plugin_dir = "bin/plugins"

listener "http" {
  address = "127.0.0.1:8080"
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
    path     = "data/gatehouse.db"
    code_ttl = "1h"
  }
}

session "sqlite" {
  plugin = "sqlite"
  config {
    path = "data/gatehouse.db"
  }
}
