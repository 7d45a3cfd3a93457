variable "name" {
  default   = "tgc"
  sensitive = true
}
fleet "f" {
  discover_from = var.name # ERROR: Invalid server reference
  username      = env("TINTRI_USERNAME")
  password      = env("TINTRI_PASSWORD")
}
