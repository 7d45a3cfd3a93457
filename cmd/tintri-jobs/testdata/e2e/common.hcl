# Shared by the e2e job directories: the test copies this file next to each job file and
# sets the variables through TINTRI_JOBS_VAR_* and writes urls.txt.
variable "tgc_url" {}
variable "ca_file" {}
variable "username" {}
variable "password" {
  sensitive = true
}

server "tgc" {
  url      = var.tgc_url
  kind     = "tgc"
  username = var.username
  password = var.password
  ca_file  = var.ca_file
}

fleet "lab" {
  urls_file = "urls.txt"
  username  = var.username
  password  = var.password
  ca_file   = var.ca_file
}
