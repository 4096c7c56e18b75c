source "a" {
  path = "*.txt"
}

transform "b" {
  input = source.aa.data # ERROR: Reference to undeclared step
}

transform "c" {
  input = source.a.dta # ERROR: Reference to unknown output
}

transform "d" {
  input      = lod.a.data # ERROR: Unknown reference
  depends_on = [source.z] # ERROR: Reference to undeclared step
}

transform "e" {
  input      = source.a.data
  depends_on = ["source.a.data"] # ERROR: Invalid depends_on reference
  factor     = var.factr         # ERROR: Reference to undeclared variable
  mode       = local.mod         # ERROR: Reference to undeclared local value
}

locals {
  mode  = "upper"
  lines = source.a.lines # ERROR: Step reference not allowed here
}

variable "factor" {
  type    = number
  default = 2
}
