pipeline "bad" {}

source "corpus" {
  path = "*.pipe.hcl"
}

# input needs an artifact; lines is a number.
transform "shout" {
  input = source.corpus.lines
}
