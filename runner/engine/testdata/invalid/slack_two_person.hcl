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
slack {
  bot_token  = var.bot
  app_token  = var.app
  channels   = ["C0123ABCD"]
  requesters = ["U0000AAAA"]
  approvers  = ["U0000AAAA"] # ERROR: Two-person rule cannot be met
}
job "nightly" {
  task "test_noop" "t" {
    value = "x"
  }
}
