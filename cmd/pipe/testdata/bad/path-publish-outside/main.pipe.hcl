pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 3 }
}

train "model" {
  data = load.corpus.train
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

publish "model" {
  model  = train.model.model
  report = evaluate.holdout.report
  to     = "file://../m"
}
