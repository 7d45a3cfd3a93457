server "tgc" { # ERROR: Missing required argument
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
