server "vs1" {
  url      = "https://vs1.example.com"
  kind     = "vmstore"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
    servers = [
      server.vs1,
      "vs1", # ERROR: Duplicate target
    ]
  }
}
