server "tgc" {
  url          = "https://h.example.com"
  kind         = "tgc"
  username     = "admin"
  password     = env("TINTRI_PASSWORD")
  adaptive     = false
  min_inflight = 2 # ERROR: Unexpected min_inflight
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
