job "dns" {
  task "appliance_dns" "lab" {
    fleet   = fleet.nope
    primary = "192.0.2.53"
  }
}
