server "tgc" {
  url      = "https://tgc.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value   = "x"
    servers = [server.tgc] # ERROR: Wrong server kind
  }
}
