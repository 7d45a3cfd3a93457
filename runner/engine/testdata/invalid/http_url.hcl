server "tgc" {
  url      = "http://tgc.example.com" # ERROR: Unencrypted URL
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
