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
  channels   = ["#storage-ops"] # ERROR: Invalid channels
  requesters = ["U0000AAAA"]
  approvers  = ["U0000BBBB"]
}
job "nightly" {
  task "test_noop" "t" {
    value = "x"
  }
}
