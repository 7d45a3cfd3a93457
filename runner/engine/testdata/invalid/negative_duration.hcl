job "j" {
  jitter = "-5s" # ERROR: Invalid jitter
  task "test_noop" "t" {
    value = "x"
  }
}
