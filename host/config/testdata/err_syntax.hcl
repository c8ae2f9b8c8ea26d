auth "tokens" {
  plugin = "token-auth"
