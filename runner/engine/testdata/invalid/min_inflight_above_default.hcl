fleet "f" {
  urls         = ["vs1.example.com"]
  username     = "admin"
  password     = env("TINTRI_PASSWORD")
  min_inflight = 65 # ERROR: Invalid min_inflight
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
