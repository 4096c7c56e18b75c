transform "a" {
  input = transform.b.out # ERROR: Cycle between steps
}

transform "b" {
  input = transform.c.out # ERROR: Cycle between steps
}

transform "c" {
  input  = transform.a.out
  factor = transform.b.score
}

transform "self" {
  input = transform.self.out # ERROR: Cycle between steps
}

transform "x" {
  input      = transform.y.out # ERROR: Cycle between steps
  depends_on = [transform.a]
}

transform "y" {
  input = transform.x.out
}
