# Reviewed plans: the VM list has a name twice (a configuration warning) and a name no VM
# has (a plan warning); the DNS task changes every VMstore.
job "review" {
  task "vm_affinity" "vdi" {
    server  = server.tgc
    vms_csv = "vms.csv"
    rule    = "never"
  }
  task "appliance_dns" "lab" {
    fleet     = fleet.lab
    primary   = "192.0.2.53"
    secondary = "192.0.2.54"
  }
}
