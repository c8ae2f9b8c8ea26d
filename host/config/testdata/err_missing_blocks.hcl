# A config without the plugin blocks that serving needs.
listener "http" {
  address = "127.0.0.1:8080"
}
