pipeline "team" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 8 }
  split    = { test = 0.25, seed = 7, stratify = true }
}

train "model" {
  data   = load.corpus.train
  params = { C = 0.5 }
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

publish "release" {
  model  = train.model.model
  report = evaluate.holdout.report
  to     = "models/team"
  alias  = "champion"
}
