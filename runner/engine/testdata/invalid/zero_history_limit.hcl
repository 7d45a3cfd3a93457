job "j" {
  history_limit = 0 # ERROR: Invalid history_limit
  task "test_noop" "t" {
    value = "x"
  }
}
