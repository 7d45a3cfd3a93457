job "j" {
  task "test_noop" "t" {
    value   = "x"
    servers = [] # ERROR: Empty server list
  }
}
