server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
  ca_file  = "/nonexistent/tintri-ca.pem" # ERROR: Unreadable CA file
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
