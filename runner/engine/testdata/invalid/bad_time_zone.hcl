job "j" {
  schedule  = "@daily"
  time_zone = "Mars/Olympus_Mons" # ERROR: Invalid time_zone
  task "test_noop" "t" {
    value = "x"
  }
}
