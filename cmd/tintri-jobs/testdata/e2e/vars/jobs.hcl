variable "primary" {
  default = "192.0.2.1"
}

job "dns" {
  task "appliance_dns" "lab" {
    fleet   = fleet.lab
    primary = var.primary
  }
}
