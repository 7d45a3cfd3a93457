# A configuration using every block and attribute the loader knows.

variable "tgc_password" {
  type        = string
  sensitive   = true
  description = "Password of the TGC admin account."
}

variable "inflight" {
  type    = number
  default = 4
}

variable "prefix" {
  default = "vdi"
}

server "tgc" {
  url                  = "https://tgc.example.com"
  kind                 = "tgc"
  username             = "admin"
  password             = var.tgc_password
  ca_file              = "ca.pem"
  max_inflight         = var.inflight
  min_inflight         = 2
  insecure_skip_verify = false
}

server "vs1" {
  url      = "vmstore1.example.com:8443"
  kind     = "vmstore"
  username = env("TINTRI_USERNAME")
  password = trimspace(file("secrets/vs1.txt"))
}

fleet "listed" {
  urls     = ["vs-a.example.com", "https://vs-b.example.com/"]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}

fleet "from_file" {
  urls_file    = "vmstores.txt"
  username     = "admin"
  password     = env("TINTRI_PASSWORD")
  max_inflight = 2
  adaptive     = false
}

fleet "discovered" {
  discover_from        = server.tgc
  username             = "admin"
  password             = var.tgc_password
  insecure_skip_verify = true
}

job "nightly" {
  schedule        = "30 2 * * 1-5"
  time_zone       = "Europe/Berlin"
  mode            = "plan"
  max_changes     = 50
  fail_fast       = true
  overlap         = "queue"
  catch_up_within = "10m"
  jitter          = "30s"
  history_limit   = 10

  task "test_noop" "on_tgc" {
    value       = upper("${var.prefix}-pool")
    server      = server.tgc
    max_changes = 5
  }

  task "test_noop" "on_fleet" {
    value = join(",", ["a", "b"])
    fleet = fleet.from_file
  }
}

job "hourly" {
  schedule = "@every 1h"

  task "test_noop" "on_servers" {
    value   = format("%s/%d", var.prefix, var.inflight)
    servers = [server.vs1, "vs1b"]
  }
}

server "vs1b" {
  url      = "https://10.0.0.2"
  kind     = "vmstore"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
