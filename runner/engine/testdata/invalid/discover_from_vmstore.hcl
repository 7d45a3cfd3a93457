server "vs1" {
  url      = "https://vs1.example.com"
  kind     = "vmstore"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
fleet "f" {
  discover_from = server.vs1 # ERROR: Wrong server kind
  username      = "admin"
  password      = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
