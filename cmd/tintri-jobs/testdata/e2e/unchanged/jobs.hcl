# Every VM already right: a plan counts them and names the first 1000, or all with -detail.
job "clear" {
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = "clear"
  }
}
