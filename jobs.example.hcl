# jobs.example.hcl — every task kind, runnable against the built-in simulator:
#
#   tintri-jobs sim -env-file sim.env &      # or `make sim`, which writes .tintri-sim.env
#   . ./sim.env
#   tintri-jobs plan  -config jobs.example.hcl
#   tintri-jobs apply -config jobs.example.hcl
#
# `make demo` does this and checks that a second plan finds nothing to change. Relative
# paths (the CSV files under examples/, the report under reports/) are relative to this file.
#
# Credentials come from the environment (env()) or from sensitive variables, never literals.

variable "dns_primary" {
  type        = string
  default     = "192.0.2.53"
  description = "Primary DNS server for every VMstore."
}

variable "vdi_pattern" {
  type        = string
  default     = "vdi-00"
  description = "VMs whose name contains this never migrate."
}

server "tgc" {
  url      = env("TINTRI_TGC_URL")
  kind     = "tgc"
  username = env("TINTRI_USERNAME")
  password = env("TINTRI_PASSWORD")
  ca_file  = env("TINTRI_CA_FILE")
}

# Every VMstore the TGC manages, sharing one set of credentials.
fleet "lab" {
  discover_from = server.tgc
  username      = env("TINTRI_USERNAME")
  password      = env("TINTRI_PASSWORD")
  ca_file       = env("TINTRI_CA_FILE")
  max_inflight  = 4
}

job "vm-placement" {
  max_changes = 500

  # Import desktop names from an admin's CSV export into the VDI service group.
  task "service_group_members" "vdi-import" {
    server        = server.tgc
    service_group = "VDI"
    csv           = "examples/vdi-vms.csv"
    csv_column    = "VM Name"
    mode          = "add"
    on_unknown_vm = "warn"
  }

  # Desktops stay where they are.
  task "vm_affinity" "vdi-never-migrate" {
    server        = server.tgc
    name_contains = var.vdi_pattern
    exclude_names = ["vdi-0099"]
    rule          = "never"
  }

  # Production SQL never lands on the VMstore reserved for dev.
  task "vm_affinity" "sql-off-dev" {
    server           = server.tgc
    service_group    = "SQL Production"
    rule             = "exclude_vmstores"
    exclude_vmstores = ["vmstore-2"]
  }

  task "service_group_qos" "sql-qos" {
    server              = server.tgc
    service_group       = "SQL Production"
    min_normalized_iops = 1000
    max_normalized_iops = 20000
  }
}

job "fleet-network" {
  fail_fast = false

  task "appliance_dns" "dns" {
    fleet     = fleet.lab
    primary   = var.dns_primary
    secondary = "198.51.100.53"
    tertiary  = "203.0.113.53"
  }

  task "data_ip" "vlan100" {
    fleet = fleet.lab
    csv   = "examples/data-ips.csv"
    mode  = "add"
  }
}

job "maintenance" {
  task "maintenance_mode" "off" {
    fleet   = fleet.lab
    enabled = false
  }
}

# Nightly snapshots of production SQL: one per VM per UTC day, a week of them kept. The
# snapshots are taken on each VM's VMstore, reached through the fleet.
job "nightly-snapshots" {
  schedule  = "0 2 * * *"
  time_zone = "UTC"

  task "vm_snapshot" "sql" {
    server        = server.tgc
    fleet         = fleet.lab
    service_group = "SQL Production"
    prefix        = "nightly-sql"
    consistency   = "crash"
    keep_last     = 7
    max_age       = "168h"
  }
}

# Nightly capacity report; in the daemon it runs on its schedule.
job "nightly-report" {
  schedule  = "30 2 * * *"
  time_zone = "UTC"

  # The last day: report attributes from the TGC, latency and IOPS from each VM's
  # statistics (averaged over the day), headed by the field file's descriptions.
  task "vm_report" "capacity" {
    server = server.tgc
    fields = "examples/report-fields.csv"
    header = "description"
    output = "reports/vms-{date}-{time}.csv"
    format = "csv"
    since  = "-24h"
    mode   = "0640"
  }
}
