pipeline "bad" {}

load "corpus" {
  path     = "/etc/passwd"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 3 }
}
