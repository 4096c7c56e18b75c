pipeline "quickstart" {
  description = "Privacy intent from sentence embeddings, end to end on generated data"
}

# The corpus: 5,000 labelled 584-dimensional embeddings that `make demo`
# generates with pipe-gendata when the folder is empty.
variable "data_dir" {
  type        = string
  default     = "data"
  description = "Folder holding corpus.parquet, relative to this file"
}

variable "min_f1" {
  type        = number
  default     = 0.8
  description = "The holdout F1 a model needs to be published"
  validation {
    condition     = var.min_f1 > 0 && var.min_f1 <= 1
    error_message = "min_f1 is an F1 score: above 0, at most 1."
  }
}

locals {
  dim = 584
}

load "corpus" {
  path     = "${var.data_dir}/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = local.dim }
  id       = "id"
  text     = "text"
  # Rows that share a text stay on one side, so duplicates cannot leak
  # into the test set.
  split = { test = 0.2, seed = 7, stratify = true, group = "text" }
}

search "lr" {
  data     = load.corpus.train
  strategy = "random"
  trials   = 12
  folds    = 5
  metric   = "f1"
  seed     = 7
  space = {
    C            = loguniform(1e-2, 1e2)
    penalty      = ["l2", "l1"]
    class_weight = ["none", "balanced"]
  }
}

train "model" {
  data   = load.corpus.train
  params = search.lr.best
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

predict "holdout" {
  model = train.model.model
  data  = load.corpus.test
  to    = "out/predictions.parquet"
}

publish "release" {
  model      = train.model.model
  report     = evaluate.holdout.report
  to         = "models/privacy-intent"
  require    = evaluate.holdout.f1 >= var.min_f1
  alias      = "champion"
  promote_if = { metric = "f1", min_delta = 0 }
}
