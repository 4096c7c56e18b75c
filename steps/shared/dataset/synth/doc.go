// Package synth generates realistic, deterministic test data for the
// dataset pipeline: labelled sentence-embedding-like rows, and the CSV and
// Parquet files a user would point a load step at. Tests, benchmarks, the
// examples and cmd/pipe-gendata all use it. The artifact format is
// steps/shared/dataset's; reading the files back is steps/load's.
//
// # The model
//
// Rows imitate unit-norm sentence embeddings of two classes that differ in
// a low-rank subspace. With U a random orthonormal Dim×Rank basis, c a
// random unit vector in R^Rank, m a random unit "common direction" and
// y* ~ Bernoulli(PositiveRate) the true class, each row is
//
//	z ~ N(0, Spread² I_Rank)
//	e ~ N(0, (Noise²/Dim) I_Dim)
//	v = Mean·m + U (z + (y* − ½)·Separation·c) + e
//	x = v / ‖v‖
//
// and its observed label is y* flipped with probability LabelNoise. The
// defaults give about 30% positives and a best achievable F1 near 0.9
// (the tests check the Bayes rule's F1 on generated data), not 1.0: a
// classifier has something to learn and something it cannot.
//
// A fraction Duplicates of rows repeat an earlier row exactly (embedding,
// text and label), as real corpora do, so that a split that ignores groups
// leaks rows into the test set.
//
// Randomness comes from one math/rand/v2 PCG source seeded by Config.Seed;
// uniform and normal variates are derived from its 64-bit outputs by this
// package's own code, so the same seed gives the same data on every Go
// version. (Normal variates use math.Log and math.Cos, so another CPU
// architecture may differ in the last bit of a few values.)
package synth
