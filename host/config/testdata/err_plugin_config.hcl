# Mistakes inside a plugin's config block, checked against its schema.
auth "directory" {
  plugin = "sample"
  config {
    urll      = ["ldap://127.0.0.1:3389"]
    bind_pass = env("GATEHOUSE_TEST_SECRET")
    retries   = "three"
    group "admins" {
    }
  }
}

auth "missing" {
  plugin = "sample"
}

pairing "store" {
  plugin = "sqlite"
}

session "store" {
  plugin = "sqlite"
}
