server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = "" # ERROR: Invalid password
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
