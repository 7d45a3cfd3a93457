job "j" {
  jitter = "-5s" # ERROR: Invalid duration
  task "test_noop" "t" {
    value = "x"
  }
}
