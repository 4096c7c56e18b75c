transform "shout" {
  input  = source.corpus.data
  factor = var.factor
  mode   = local.upper ? "upper" : "lower"
}

transform "whisper" {
  input = source.corpus.data
  mode  = "lower"
}

combine "both" {
  inputs     = [transform.shout.out, transform.whisper.out]
  params     = { token_hash = sha256(var.token), space = local.space, score = transform.shout.score }
  depends_on = [source.corpus]
}
