# The pipeline of the kubernetes executor's cluster tests: load on the
# coordinator (it reads local files), search, train and evaluate as Jobs
# when -executor=kubernetes. Its data, data/corpus.parquet, is generated
# by the tests (pipe-gendata, seed 1).

pipeline "remote" {
  description = "The kubernetes executor's test pipeline"
}

variable "folds" {
  type    = number
  default = 3
}

variable "shards" {
  type    = number
  default = 1
}

variable "memory" {
  type    = string
  default = "512Mi"
}

variable "retries" {
  type    = number
  default = 2
}

variable "dim" {
  type    = number
  default = 32
}

variable "trials" {
  type    = number
  default = 6
}

load "corpus" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = var.dim }
  split    = { test = 0.2, seed = 7, stratify = true }
}

search "lr" {
  data     = load.corpus.train
  strategy = "random"
  trials   = var.trials
  folds    = var.folds
  metric   = "f1"
  seed     = 7
  space = {
    C            = loguniform(1e-2, 1e2)
    penalty      = ["l2", "l1"]
    class_weight = ["none", "balanced"]
  }
  resources {
    memory  = var.memory
    retries = var.retries
    shards  = var.shards
  }
}

train "model" {
  data   = load.corpus.train
  params = search.lr.best
  resources {
    memory = "512Mi"
  }
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
  # Every remote step requests memory: a namespace whose ResourceQuota
  # limits requests.memory admits no pod without one.
  resources {
    memory = "256Mi"
  }
}
