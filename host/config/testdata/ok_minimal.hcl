# The smallest config that serves: everything else takes its default.
auth "tokens" {
  plugin = "token-auth"
}

pairing "store" {
  plugin = "sqlite"
}

session "store" {
  plugin = "sqlite"
}
