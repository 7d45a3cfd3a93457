parallelism = 4 # ERROR: Unsupported argument
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
