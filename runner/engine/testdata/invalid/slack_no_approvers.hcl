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
slack { # ERROR: No approvers
  bot_token  = var.bot
  app_token  = var.app
  channels   = ["C0123ABCD"]
  requesters = ["U0000AAAA"]
}
job "nightly" {
  task "test_noop" "t" {
    value = "x"
  }
}
