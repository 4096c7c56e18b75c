pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { column = "embedding", dim = 3 }
}
