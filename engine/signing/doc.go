// Package signing holds the team key: a secret that the machines sharing
// a store (CI, the cluster, developers' machines) share with each other
// and never with the store. pipe uses it for two things, each under its
// own domain so that one use can never stand in for the other:
//
//   - Signing. What pipe writes to a shared store and later trusts (cache
//     entries, registry records) carries an HMAC-SHA256 of its bytes, so
//     that someone who may write to the store but does not hold the key
//     cannot forge a result (engine/cache, engine/registry).
//   - Keyed hashing. A sensitive value that must be compared without being
//     shown (in a cache key's preimage, in a saved plan) is stored as an
//     HMAC of its encoding, which cannot be guessed from the store, the
//     plan or the registry by hashing likely values (engine/cachekey).
//
// The key comes from the environment: PIPE_KEY_FILE names a file holding
// it (a Kubernetes Secret mounted as a file), or PIPE_KEY holds it. It is
// at least 32 characters, used as given (surrounding white space is
// dropped): `openssl rand -hex 32` makes one. A configured key is Shared:
// every machine with the same key signs and hashes alike. Without one,
// Local makes a random key in the state folder (never in the store), which
// keyed hashing uses so that sensitive values stay unguessable; nothing is
// signed with a local key, because no other machine could check it.
//
// A signature names the key that made it by the key's ID (the first 8
// bytes of an HMAC of a fixed text, which says nothing about the key), so
// that a record signed by another key is told apart from a forged one.
package signing
