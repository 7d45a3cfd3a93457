job "j" {
  overlap = "parallel" # ERROR: Invalid overlap
  task "test_noop" "t" {
    value = "x"
  }
}
