fleet "f" {
  urls     = ["vs1"]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
server "vs1" {
  url      = "https://vs1.example.com"
  kind     = "vmstore"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value   = "x"
    fleet   = fleet.f
    servers = [server.vs1] # ERROR: Conflicting targets
  }
}
