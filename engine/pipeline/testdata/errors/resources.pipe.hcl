settings {
  executor = "kubernets" # ERROR: Unknown executor
}

variable "mem" {
  default = "4Gi"
}

source "a" {
  path = "*.txt"
  resources {
    executor = "kubernetes"
    memory   = var.mem
    cpu      = 2
    timeout  = "30m"
    retries  = 3
    shards   = 4
  }
}

transform "b" {
  input = source.a.data
  resources {
    executor          = "k8s"              # ERROR: Unknown executor
    cpu               = "two"              # ERROR: Invalid resources.cpu
    memory            = 4                  # ERROR: Invalid resources.memory
    ephemeral_storage = "-1Gi"             # ERROR: Invalid resources.ephemeral_storage
    timeout           = "soon"             # ERROR: Invalid resources.timeout
    retries           = 1.5                # ERROR: Invalid resources.retries
    shards            = 0                  # ERROR: Invalid resources.shards
    gpu               = 1                  # ERROR: Unsupported argument
  }
  resources { # ERROR: Duplicate resources block
    cpu = 1
  }
}

transform "c" {
  input     = source.a.data
  resources = { cpu = 1 } # ERROR: Unsupported argument
}

transform "d" {
  input = source.a.data
  resources {
    memory = transform.c.info # ERROR: Step reference not allowed here
    cpu    = [1]              # ERROR: Invalid resources.cpu
  }
}
