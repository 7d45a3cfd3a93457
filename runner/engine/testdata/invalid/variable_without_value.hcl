variable "site" { # ERROR: No value for required variable
  type = string
}
job "j" {
  task "test_noop" "t" {
    value = var.site
  }
}
