pipeline "bad" {}

variable "factor" {
  type    = number
  default = 2
}

source "corpus" {
  path = "*.pipe.hcl"
}

transform "shout" {
  input  = source.corpus.data
  factor = var.factor
}
