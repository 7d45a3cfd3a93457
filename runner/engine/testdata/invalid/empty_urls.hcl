fleet "f" {
  urls     = [] # ERROR: Empty URL list
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
