# The privacy-intent classifier, as the nightly CronJob runs it from the
# pipe-pipelines ConfigMap (see docs/deployment.md). Everything that
# differs between a laptop and the cluster is a variable: the cluster sets
# PIPE_VAR_data_dir, PIPE_VAR_models and PIPE_VAR_predictions, and the
# store comes from PIPE_STORE.

pipeline "privacy-intent" {
  description = "Privacy intent classifier on sentence embeddings"
}

variable "data_dir" {
  type        = string
  default     = "data"
  description = "Folder of Parquet files with a label and emb_0 ... emb_583"
}

variable "models" {
  type        = string
  default     = "models/privacy-intent"
  description = "Where versions are published: a folder, or gs://BUCKET/PREFIX"
}

variable "predictions" {
  type        = string
  default     = "out/predictions.parquet"
  description = "Where the holdout predictions go: a file, or gs://BUCKET/PATH"
}

variable "min_f1" {
  type        = number
  default     = 0.85
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
  path     = "${var.data_dir}/*.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = local.dim }
  id       = "id"
  text     = "text"
  split    = { test = 0.2, seed = 7, stratify = true, group = "text" }
}

search "lr" {
  data     = load.corpus.train
  strategy = "random"
  trials   = 24
  folds    = 5
  metric   = "f1"
  seed     = 7
  space = {
    C            = loguniform(1e-3, 1e2)
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
  to    = var.predictions
}

publish "release" {
  model      = train.model.model
  report     = evaluate.holdout.report
  to         = var.models
  require    = evaluate.holdout.f1 >= var.min_f1
  alias      = "champion"
  promote_if = { metric = "f1", min_delta = 0 }
}
