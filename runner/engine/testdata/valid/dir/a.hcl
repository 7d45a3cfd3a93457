job "first" {
  task "test_noop" "t" {
    value = file("notes.txt")
  }
}
