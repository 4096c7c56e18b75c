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

transform "h" {
  input      = source.a.data
  depends_on = [var.factor] # ERROR: Invalid depends_on reference
}

locals {
  mode  = "upper"
  lines = source.a.lines # ERROR: Step reference not allowed here
  typo  = var.factr      # ERROR: Reference to undeclared variable
  other = lcal.x         # ERROR: Unknown reference
}

variable "factor" {
  type    = number
  default = 2
}

# Problems in other attributes and other steps are reported together with
# the reference errors, and a bad reference is reported once.
transform "f" {
  input  = source.a.dat # ERROR: Reference to unknown output
  factor = "many"       # ERROR: Incorrect attribute value type
}

transform "g" {
  input  = source.a.data
  factor = nope.x # ERROR: Unknown reference
  mode   = 5 * "x" # ERROR: Invalid operand
}

settings {
  store = var.nowhere # ERROR: Reference to undeclared variable
}
