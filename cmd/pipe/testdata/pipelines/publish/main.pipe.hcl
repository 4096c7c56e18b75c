pipeline "clf" {}

variable "quality" {
  type    = number
  default = 0.9
}

source "train" {
  path = "data/*.txt"
}

source "holdout" {
  path = "holdout/*.txt"
}

transform "prep" {
  input = source.train.data
}

fakemodel "m" {
  data    = transform.prep.out
  eval    = source.holdout.data
  quality = var.quality
}

publish "release" {
  model      = fakemodel.m.model
  report     = fakemodel.m.report
  to         = "models/clf"
  require    = fakemodel.m.f1 >= 0.5
  alias      = "champion"
  promote_if = { metric = "f1" }
}
