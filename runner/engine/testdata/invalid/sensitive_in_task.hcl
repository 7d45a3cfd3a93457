variable "dns" {
  default   = "192.0.2.53"
  sensitive = true
}
job "j" {
  task "test_noop" "t" {
    value = "primary ${var.dns}" # ERROR: Sensitive value in task
  }
}
