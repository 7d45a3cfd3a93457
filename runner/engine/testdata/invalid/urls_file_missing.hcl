fleet "f" {
  urls_file = "no-such-file.txt" # ERROR: Unreadable urls_file
  username  = "admin"
  password  = env("TINTRI_PASSWORD")
}
job "j" {
  task "test_noop" "t" {
    value = "x"
  }
}
