job "j" {
  schedule = "CRON_TZ=UTC 0 3 * * *" # ERROR: Invalid schedule
  task "test_noop" "t" {
    value = "x"
  }
}
