fleet "lab" {
  urls                 = ["vs1.example.com"]
  username             = "admin"
  password             = env("TINTRI_PASSWORD")
  ca_file              = "ca.pem"
  insecure_skip_verify = true # ERROR: Conflicting TLS settings
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
