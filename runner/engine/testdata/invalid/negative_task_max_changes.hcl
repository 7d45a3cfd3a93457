job "j" {
  task "test_noop" "t" {
    value       = "x"
    max_changes = -3 # ERROR: Invalid max_changes
  }
}
