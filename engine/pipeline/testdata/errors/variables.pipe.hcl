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

variable "d" {
  type    = number
  default = 1
  validation {
    condition     = var.d > 0
    error_message = "d is ${formatt("%d", var.d)}" # ERROR: Call to unknown function
  }
}

variable "e" {
  type      = number
  default   = 1
  sensitive = "maybe" # ERROR: Invalid value for sensitive
}

variable "f" {
  default     = 1
  description = var.c # ERROR: Variables not allowed
}
