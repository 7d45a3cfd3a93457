job "j" {
  task "test_noop" "t" {
    value = upper("a", "b") # ERROR: Too many function arguments
  }
}
