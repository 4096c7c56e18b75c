// Package cachekey computes a step's cache key and explains why it
// changed. A key is the SHA-256 of a canonical, typed, versioned preimage:
//
//	{
//	  "format":  1,                       // of this encoding
//	  "kind":    "train",                 // the step kind
//	  "version": "3",                     // the kind's implementation version
//	  "config":  {                        // every keyed attribute, sorted
//	    "C":    {"type": "number", "value": 0.1},
//	    "data": {"type": ["object", {...}], "value": {"digest": "sha256:...", ...}},
//	    "token": {"type": "string", "sensitive_hmac": "..."}
//	  },
//	  "files": [{"path": "data/a.csv", "digest": "sha256:..."}]
//	}
//
// Values are encoded with their cty types, so the number 1 and the string
// "1" never share a key; numbers are exact decimals; objects and maps have
// their keys sorted. An artifact a step reads is part of its configuration
// with its digest, so the digests of everything a step reads are in its
// key. Input files appear with their path relative to the pipeline folder
// and their content digest. Nothing else goes in: not the step's name (two
// steps with the same inputs share one entry), not timestamps, not absolute
// paths, not attributes a kind marks NotKeyed. A sensitive value is hashed
// with the team key (engine/signing; a workspace's HashKey) before it
// enters the preimage, so the preimage (which is stored beside the cache
// entry, to explain later changes) never holds it in clear, and hashing
// likely values cannot find it without the key. Machines share the cache
// entries of such a step only when they share the key.
//
// engine/plan stores preimages in cache entries and compares a step's
// current preimage with its last one to say why it must run.
package cachekey
