job "j" {
  fail_fast = "sometimes" # ERROR: Incorrect attribute value type
  task "test_noop" "t" {
    value = "x"
  }
}
