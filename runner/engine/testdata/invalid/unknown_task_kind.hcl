job "j" {
  task "tset_noop" "t" { # ERROR: Unknown task kind
    value = "x"
  }
}
