pipeline "bad" {}

source "corpus" {
  path = "*.pipe.hcl"
}

transform "shout" {
  input = source.corpus.data
  factor 2
}
