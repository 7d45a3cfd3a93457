server "tgc" {
  url      = "https://h.example.com"
  kind     = "tgc"
  username = "admin"
  password = env("TINTRI_PASSWORD")
  ca_file  = "urls_file_bad_line.txt" # ERROR: Invalid CA file
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
