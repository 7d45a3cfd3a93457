server "1tgc" { # ERROR: Invalid server name
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
