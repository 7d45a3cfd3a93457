server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
  max_inflight = 0 # ERROR: Invalid max_inflight
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
