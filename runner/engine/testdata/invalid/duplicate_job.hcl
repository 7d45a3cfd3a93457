job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
job "j" { # ERROR: Duplicate job block
  task "test_noop" "t" {
    value = "x"
  }
}
