variable "name" {
  default   = "vs1"
  sensitive = true
}
job "j" {
  task "test_noop" "t" {
    value  = "x"
    server = var.name # ERROR: Invalid server reference
  }
}
