job "j" {
  catch_up_within = "10 minutes" # ERROR: Invalid duration
  task "test_noop" "t" {
    value = "x"
  }
}
