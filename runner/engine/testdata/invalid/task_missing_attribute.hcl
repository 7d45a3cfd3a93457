job "j" {
  task "test_noop" "t" { # ERROR: Missing required argument
  }
}
