pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 3 }
}
