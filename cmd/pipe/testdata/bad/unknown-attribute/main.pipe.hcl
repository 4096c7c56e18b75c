pipeline "bad" {}

source "corpus" {
  path  = "*.pipe.hcl"
  paths = ["data"]
}
