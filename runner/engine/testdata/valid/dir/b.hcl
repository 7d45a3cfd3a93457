job "second" {
  task "test_noop" "t" {
    value = "from b"
  }
}
