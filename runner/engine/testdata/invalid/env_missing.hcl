server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWROD") # ERROR: Error in function call
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
