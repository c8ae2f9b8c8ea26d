# The pin does not match the binary in plugin_dir.
plugin_dir = "plugins"

auth "tokens" {
  plugin = "fake"
  sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
}

pairing "sqlite" {
  plugin = "fake"
  sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}

session "sqlite" {
  plugin = "../fake"
}
