variable "needed" { # ERROR: No value for required variable
  type = string
}

variable "folds" {
  type    = number
  default = "five" # ERROR: Invalid default value for variable
}

variable "c" {
  type    = number
  default = 0
  validation {
    condition     = var.c > 0 # ERROR: Invalid value for variable
    error_message = "C must be positive."
  }
}

variable "from_var" {
  default = var.c # ERROR: Variables not allowed
}

locals {
  a = local.b # ERROR: Cycle between local values
  b = local.a
}
