variable "a" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
