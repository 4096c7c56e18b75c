// Package npz reads and writes NumPy .npz files (a zip of .npy arrays,
// stored uncompressed) holding float32 and float64 arrays: the format the
// logreg test data and the side-by-side benchmark with scikit-learn share
// with Python, where np.load reads it directly. Only what those need is
// supported: little-endian '<f4' and '<f8', C order, 1 or 2 dimensions.
package npz
