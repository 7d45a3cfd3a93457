job "j" {
  task "test_noop" "t" {
    value = "x"
  }
  task "test_noop" "t" { # ERROR: Duplicate task block
    value = "y"
  }
}
