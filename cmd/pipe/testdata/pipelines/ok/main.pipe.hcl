pipeline "ok" {
  description = "A small pipeline for the CLI's tests"
}

variable "factor" {
  type    = number
  default = 2
}

source "corpus" {
  path = "data/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = var.factor
}

transform "whisper" {
  input = source.corpus.data
  mode  = "lower"
}

combine "both" {
  inputs     = [transform.shout.out, transform.whisper.out]
  depends_on = [source.corpus]
}
