source "a" {
  path = "*.txt" +   # ERROR: Invalid expression
}
