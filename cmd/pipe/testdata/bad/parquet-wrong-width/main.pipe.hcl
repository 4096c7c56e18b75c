pipeline "bad" {}

load "corpus" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { column = "embedding", dim = 9 }
}
