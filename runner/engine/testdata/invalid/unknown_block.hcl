resource "x" { # ERROR: Unsupported block type
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
