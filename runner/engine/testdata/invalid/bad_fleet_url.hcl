fleet "f" {
  urls = [
    "vs1.example.com",
    "http://vs2.example.com", # ERROR: Unencrypted URL
  ]
  username = "admin"
  password = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
