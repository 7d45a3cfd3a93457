job "j" {
  catch_up_within = "10 minutes" # ERROR: Invalid catch_up_within
  task "test_noop" "t" {
    value = "x"
  }
}
