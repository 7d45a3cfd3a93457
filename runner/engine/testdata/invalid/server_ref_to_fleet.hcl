fleet "f" {
  urls     = ["vs1"]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value  = "x"
    server = fleet.f # ERROR: Invalid server reference
  }
}
