# PLACEHOLDER written by the deploy/ work so that the Kustomize ConfigMap
# (pipelines/kustomization.yaml) has a file to ship and deploy's tests have
# something to render. The lead replaces it with the real privacy-intent
# pipeline (DESIGN.md section 1); keep the file name, or update the list
# in pipelines/kustomization.yaml.

pipeline "privacy-intent" {
  description = "Privacy intent classifier on sentence embeddings"
}

variable "data_dir" {
  type    = string
  default = "/data"
}
