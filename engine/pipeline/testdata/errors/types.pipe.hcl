source "a" {
  path = "*.txt"
}

transform "b" {
  input  = source.a.lines # ERROR: Incorrect attribute value type
  factor = "many"         # ERROR: Incorrect attribute value type
}

transform "c" {
  input  = source.a.data
  factor = -1         # ERROR: Factor must be positive
  mode   = "sideways" # ERROR: Unknown mode
}

combine "d" {
  inputs = [source.a.data, "not an artifact"] # ERROR: Incorrect attribute value type
}

transform "f" {
  input = source.a.data
  mode  = uper("x") # ERROR: Call to unknown function
}

transform "g" {
  input = source.a.data
  mode  = try(lowr("X"), "upper") # ERROR: Call to unknown function
}

transform "h" {
  input = { digest = "md5:abc", media_type = "text/plain", size = 1 } # ERROR: Invalid artifact
}

combine "i" {
  inputs = [
    source.a.data,
    { digest = "sha256:00", media_type = "text/plain", size = -1 }, # ERROR: Invalid artifact
  ]
}
