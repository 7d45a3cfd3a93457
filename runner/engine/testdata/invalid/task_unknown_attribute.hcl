job "j" {
  task "test_noop" "t" {
    value  = "x"
    colour = "red" # ERROR: Unsupported argument
  }
}
