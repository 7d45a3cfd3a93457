variable "bot" {
  sensitive = true
  default   = "xoxb-test-token"
}
variable "app" {
  sensitive = true
  default   = "xapp-test-token"
}
variable "hook" {
  sensitive = true
  default   = "0123456789abcdef0123"
}
job "nightly" {
  task "test_noop" "t" {
    value = "x"
  }
}
notify "ops" { # ERROR: Missing notify target
  on = ["failure"]
}
