job "affinity" {
  task "vm_affinity" "vdi" {
    server        = server.tgc
    name_contains = "vdi"
    rule          = "never"
  }
}
