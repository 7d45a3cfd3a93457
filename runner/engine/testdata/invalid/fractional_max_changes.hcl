job "j" {
  max_changes = 1.5 # ERROR: Invalid max_changes
  task "test_noop" "t" {
    value = "x"
  }
}
