fleet "f" {
  urls     = ["vs1"]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
fleet "f" { # ERROR: Duplicate fleet block
  urls     = ["vs2"]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
