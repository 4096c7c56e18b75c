source "corpus" {
  path = "x"
}
