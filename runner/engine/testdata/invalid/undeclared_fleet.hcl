job "j" {
  task "test_noop" "t" {
    value = "x"
    fleet = fleet.nope # ERROR: Reference to undeclared fleet
  }
}
