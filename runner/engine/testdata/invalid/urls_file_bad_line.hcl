fleet "f" {
  urls_file = "urls_file_bad_line.txt"
  username  = "admin"
  password  = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
