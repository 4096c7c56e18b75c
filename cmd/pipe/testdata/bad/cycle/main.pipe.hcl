pipeline "bad" {}

source "corpus" {
  path = "*.pipe.hcl"
}

transform "a" {
  input = transform.b.out
}

transform "b" {
  input = transform.a.out
}
