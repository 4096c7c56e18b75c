pipeline "bad" {}

source "corpus" {
  path = file("../secret.txt")
}
