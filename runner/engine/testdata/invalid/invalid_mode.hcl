job "j" {
  mode = "dry-run" # ERROR: Invalid mode
  task "test_noop" "t" {
    value = "x"
  }
}
