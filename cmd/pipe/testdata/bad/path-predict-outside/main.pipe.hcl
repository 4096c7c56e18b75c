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

predict "holdout" {
  model = train.model.model
  data  = load.corpus.test
  to    = "../../x.csv"
}
