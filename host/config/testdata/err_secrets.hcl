# Secrets where the host does not take them, and errors about secrets.
auth "a" {
  plugin       = "sample"
  sha256       = file("secret.txt")
  call_timeout = env("GATEHOUSE_TEST_SECRET")
  config {
    url     = [env(file("secret.txt"))]
    bind_dn = file("missing.txt")
    retries = env("GATEHOUSE_TEST_SECRET")
  }
}

pairing "p" {
  plugin = "sqlite"
}

session "s" {
  plugin = "sqlite"
}
