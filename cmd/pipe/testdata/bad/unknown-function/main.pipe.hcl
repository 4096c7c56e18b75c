pipeline "bad" {}

source "corpus" {
  path = uppercase("*.pipe.hcl")
}
