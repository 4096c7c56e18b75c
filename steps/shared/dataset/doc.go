// Package dataset owns the on-store format of a dataset artifact: the rows
// a load step produces and the train, search, evaluate and predict steps
// read. It defines the [Dataset] value, writes it ([Write]) and reads it
// back ([Read], [Decode], [Open]). Reading CSV and Parquet files is the
// load step's business (steps/load); making realistic test data is
// steps/shared/dataset/synth's.
//
// # Format
//
// A dataset is one Apache Arrow IPC file (media type [MediaType])
// holding exactly one record batch with these columns, in this order:
//
//	features  fixed_size_list<item: float32 not null>[dim] not null
//	label     uint8 not null            0 or 1
//	weight    float64 not null          optional; finite and >= 0
//	id        utf8 not null             optional
//	text      utf8 not null             optional
//
// and schema metadata (all values are strings):
//
//	pipe.dataset.version    "1"
//	pipe.dataset.dim        dim, in decimal
//	pipe.dataset.rows       number of rows
//	pipe.dataset.positives  number of rows with label 1
//	pipe.dataset.positive   the source label value that means class 1
//	pipe.dataset.part       "train", "test" or "data"
//	pipe.dataset.features   how the features were found ("prefix emb_, dim 584")
//	pipe.dataset.source     the files read, one "path sha256:..." per line
//
// Why Arrow IPC and not Parquet: the feature matrix is stored as one
// contiguous, uncompressed, little-endian float32 buffer, so that the
// child values of the features column are exactly the row-major N×Dim
// matrix the trainer multiplies with. Reading it is one read of the body
// into one allocation and a pointer cast: no decoding, no per-column
// transposition, no second copy, and peak memory is the matrix itself plus
// the labels. Parquet would compress better but must be decoded column by
// column, costing time and a second copy on every read by every
// downstream step; float embeddings barely compress anyway. float32 halves
// the bytes against float64 and loses nothing an embedding model put in.
//
// One record batch, rather than many, is what makes the matrix contiguous.
// Files are deterministic: the same Dataset always gives the same bytes
// (no timestamps, no compression, fixed metadata order), which the cache
// relies on.
//
// Labels are stored as uint8 and read zero-copy into [Dataset.Y]; the
// trainer's float64 labels come from [Dataset.LabelsFloat64].
//
// Reading validates everything a step downstream relies on (column types,
// width, lengths, no nulls, labels 0 or 1, finite features and weights)
// and never panics on a corrupt or hostile file: it returns an error.
package dataset
