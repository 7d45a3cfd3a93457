# tintri-jobs as a Nomad periodic batch job: one `apply -auto-approve` per schedule.
# See docs/daemon.md ("Choosing a deployment"). Run with: nomad job run deploy/nomad/tintri-jobs.nomad.hcl
job "tintri-jobs" {
  type = "batch"

  periodic {
    crons            = ["30 2 * * *"]
    time_zone        = "Europe/Berlin"
    prohibit_overlap = true # never two applies at once
  }

  group "apply" {
    count = 1

    # A failed apply is reported, not retried blindly.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    # The state directory (audit.jsonl) must outlive allocations: a host volume.
    volume "state" {
      type      = "host"
      source    = "tintri-jobs-state"
      read_only = false
    }

    task "apply" {
      driver = "docker"

      config {
        # Built by `make image` (docs/container.md): static binary, user 65532, no shell.
        # Pin a release tag (or a digest, @sha256:…), never :latest.
        image = "ghcr.io/tintri-jobs/tintri-jobs:v0.1.0"
        args  = ["apply", "-auto-approve", "-config", "/local/jobs.hcl", "-state-dir", "/var/lib/tintri-jobs", "-log-format", "json"]
      }

      volume_mount {
        volume      = "state"
        destination = "/var/lib/tintri-jobs"
      }

      # Secrets from Nomad Variables as TINTRI_JOBS_VAR_<name>.
      template {
        data        = <<-EOT
          {{ with nomadVar "nomad/jobs/tintri-jobs" }}TINTRI_JOBS_VAR_password={{ .password }}{{ end }}
        EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<-EOT
          variable "password" {
            sensitive = true
          }
          fleet "lab" {
            urls     = ["https://vmstore1.example.com", "https://vmstore2.example.com"]
            username = "admin"
            password = var.password
          }
          job "dns" {
            task "appliance_dns" "lab" {
              fleet   = fleet.lab
              primary = "192.0.2.53"
            }
          }
        EOT
        destination = "local/jobs.hcl"
      }

      kill_timeout = "90s" # SIGTERM lets changes in flight finish

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
