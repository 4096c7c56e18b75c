source "corpus" {
  path = "data/*.txt"
}

transform "shout" {
  input  = source.corpus.dat
  factr  = 2
}
