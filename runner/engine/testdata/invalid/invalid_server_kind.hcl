server "tgc" {
  url      = "https://h.example.com"
  kind     = "vmstor" # ERROR: Invalid kind
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
