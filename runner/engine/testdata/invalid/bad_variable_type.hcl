variable "a" {
  type    = strin # ERROR: Invalid type specification
  default = "x"
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
