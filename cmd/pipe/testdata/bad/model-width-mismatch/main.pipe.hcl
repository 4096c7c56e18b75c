pipeline "bad" {}

load "narrow" {
  path     = "data/narrow.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 2 }
}

load "wide" {
  path     = "data/wide.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 3 }
}

train "model" {
  data = load.narrow.data
}

# The model has 2 features, these data 3.
evaluate "holdout" {
  model = train.model.model
  data  = load.wide.data
}
