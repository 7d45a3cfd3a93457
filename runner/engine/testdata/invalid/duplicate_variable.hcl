variable "a" {
  default = "x"
}
variable "a" { # ERROR: Duplicate variable block
  default = "y"
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
