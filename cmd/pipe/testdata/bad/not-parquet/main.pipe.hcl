pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 3 }
}
