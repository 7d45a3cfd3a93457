fleet "f" {
  urls = [
    "vs1.example.com",
    "https://vs1.example.com", # ERROR: Duplicate fleet member
  ]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
