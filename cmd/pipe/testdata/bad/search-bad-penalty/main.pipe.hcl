pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 2 }
}

search "lr" {
  data     = load.corpus.data
  strategy = "grid"
  folds    = 2
  metric   = "f1"
  space = {
    C       = [0.1, 1]
    penalty = ["l2", "l3"]
  }
}
