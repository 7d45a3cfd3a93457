server "tgc" {
  url      = "https://" # ERROR: Invalid URL
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
