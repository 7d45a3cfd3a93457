variable "user_name" {
  default = "admin"
}
server "tgc" {
  url      = "https://tgc.example.com"
  kind     = "tgc"
  username = var.username # ERROR: Reference to undeclared variable
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
