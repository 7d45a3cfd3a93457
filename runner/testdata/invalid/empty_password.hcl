server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = "" # ERROR: Empty password
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
