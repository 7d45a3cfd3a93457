server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
  port     = 443 # ERROR: Unsupported argument
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
