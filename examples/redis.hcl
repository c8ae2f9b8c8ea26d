# examples/redis.hcl: several hosts behind a load balancer share pairing
# and sessions through Redis.
#
# Run the same file on every host; each host starts its own redis plugin
# processes, and they all meet in Redis. Create an ACL user confined to
# the key prefix, for instance in redis.conf:
#
#   user gatehouse on >PASSWORD ~gatehouse:* &gatehouse:* +@all -@dangerous
#
#   export REDIS_PASSWORD='...'
#   gatehouse serve --config examples/redis.hcl

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

pairing "redis" {
  plugin = "redis"
  config {
    # One address: a single server. Several: Cluster nodes (or set
    # cluster = true with one seed). With master_name: Sentinels.
    addresses = ["redis.internal:6379"]
    # master_name = "gatehouse"

    username = "gatehouse"
    password = env("REDIS_PASSWORD")

    # Every key starts with this; the ACL user above may touch nothing
    # else.
    key_prefix = "gatehouse:"

    tls {
      ca_file     = "/etc/gatehouse/redis-ca.pem"
      server_name = "redis.internal"
      # cert_file and key_file add a client certificate.
    }

    # Each call gives up after dial + write + read timeouts, also when
    # Redis stops answering mid-command; the host then fails closed.
    dial_timeout  = "2s"
    read_timeout  = "1s"
    write_timeout = "1s"

    code_ttl    = "1h"
    max_pending = 3
  }
}

session "redis" {
  plugin = "redis"
  config {
    addresses  = ["redis.internal:6379"]
    username   = "gatehouse"
    password   = env("REDIS_PASSWORD")
    key_prefix = "gatehouse:"
    tls {
      ca_file     = "/etc/gatehouse/redis-ca.pem"
      server_name = "redis.internal"
    }
  }
}
