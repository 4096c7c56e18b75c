pipeline "valid" {
  description = "A pipeline split over two files"
}

settings {
  store = "file://${var.store_dir}"
}

variable "store_dir" {
  type    = string
  default = ".pipe/store"
}

variable "factor" {
  type        = number
  default     = 2
  description = "How many times to repeat"
  validation {
    condition     = var.factor >= 1 && var.factor <= 10
    error_message = "factor must be between 1 and 10."
  }
}

variable "token" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

locals {
  upper = local.mode == "upper"
  mode  = lower("UPPER")
  space = { C = loguniform(1e-3, 1e2), penalty = ["l1", "l2"] }
}

source "corpus" {
  path = "data/*.txt"
}
