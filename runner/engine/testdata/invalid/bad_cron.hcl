job "j" {
  schedule = "61 * * * *" # ERROR: Invalid schedule
  task "test_noop" "t" {
    value = "x"
  }
}
