job "j" { # ERROR: Job without tasks
  schedule = "@daily"
}
