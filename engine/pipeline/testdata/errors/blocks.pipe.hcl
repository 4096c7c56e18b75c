pipeline "blocks" {}

sorce "a" { # ERROR: Unsupported block type
  path = "x"
}

source "b" {
  path = "x"
  paht = "y"         # ERROR: Unsupported argument
  split { test = 1 } # ERROR: Unsupported block type
}

transform "c" { # ERROR: Missing required argument
  factor = 2
}

source "b" { # ERROR: Duplicate step
  path = "z"
}

pipeline "again" {} # ERROR: Duplicate pipeline block

name = "top" # ERROR: Unsupported argument
