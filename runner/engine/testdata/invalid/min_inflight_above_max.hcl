server "tgc" {
  url          = "https://h.example.com"
  kind         = "tgc"
  username     = "admin"
  password     = env("TINTRI_PASSWORD")
  max_inflight = 8
  min_inflight = 16 # ERROR: Invalid min_inflight
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
