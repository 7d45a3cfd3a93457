job "j" {
  schedule = = "@daily" # ERROR: Invalid expression
  task "test_noop" "t" {
    value = "x"
  }
}
