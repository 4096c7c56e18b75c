pipeline "bad" {}

source "corpus" {
  path = "*.pipe.hcl"
}

source "corpus" {
  path = "data/*.txt"
}
