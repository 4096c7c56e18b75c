# A step that takes its time, for the kubernetes executor's tests of a
# cancelled and of a killed coordinator (pipe's test kinds: the image and
# the coordinator are built with the pipetest tag). source reads a local
# file, so it stays on the coordinator; transform runs as a Job.

pipeline "slow" {
  description = "A remote step that sleeps"
}

variable "sleep" {
  type    = string
  default = "30s"
}

source "text" {
  path = "input.txt"
}

transform "slow" {
  input = source.text.data
  sleep = var.sleep
}
