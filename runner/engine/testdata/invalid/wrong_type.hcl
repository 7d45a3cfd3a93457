job "j" {
  fail_fast = "sometimes" # ERROR: Invalid fail_fast
  task "test_noop" "t" {
    value = "x"
  }
}
