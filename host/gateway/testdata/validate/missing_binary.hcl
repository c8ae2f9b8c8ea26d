# The sqlite plugin is not in plugin_dir.
plugin_dir = "plugins"

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
