server "tgc" {
  url      = "https://tgc.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
fleet "f" {
  urls          = ["vs1"]
  discover_from = server.tgc # ERROR: Conflicting fleet members
  username      = "admin"
  password      = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
