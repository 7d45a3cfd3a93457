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
notify "ops" {
  webhook_url    = "https://hooks.example.com/t"
  webhook_secret = var.hook
}
notify "ops" { # ERROR: Duplicate notify block
  webhook_url    = "https://hooks.example.com/u"
  webhook_secret = var.hook
}
