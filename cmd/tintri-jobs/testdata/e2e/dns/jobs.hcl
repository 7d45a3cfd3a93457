job "dns" {
  task "appliance_dns" "lab" {
    fleet     = fleet.lab
    primary   = "192.0.2.53"
    secondary = "192.0.2.54"
  }
}
