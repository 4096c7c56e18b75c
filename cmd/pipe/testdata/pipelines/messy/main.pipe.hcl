source "corpus" {
path="x"
      }
