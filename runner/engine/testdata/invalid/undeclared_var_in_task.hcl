job "j" {
  task "test_noop" "t" {
    value = var.nope # ERROR: Reference to undeclared variable
  }
}
