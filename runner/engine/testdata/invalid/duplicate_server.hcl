server "tgc" {
  url      = "https://tgc.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
server "tgc" { # ERROR: Duplicate server block
  url      = "https://tgc2.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
