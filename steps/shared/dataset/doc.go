// Package dataset owns the on-store format of a dataset artifact: the rows
// a load step produces and the train, search, evaluate and predict steps
// read. It defines the [Dataset] value, writes it ([Write]; [WriteStream]
// writes the same bytes for a matrix produced while it is written, as the
// load step's Parquet stream does, never held whole) and reads it back
// ([Open], [View], [Read], [Decode]). Reading CSV and Parquet files is the
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
// matrix the trainer multiplies with. Reading it is no reading at all:
// [Open] asks the step's Env to map the artifact (steps.ArtifactMapper;
// the engine maps the store's file, or the local object cache's copy) and
// [View] points the Dataset's matrix, labels and weights into the mapped
// file: no temporary copy, no decoding, no per-row conversion, and peak
// memory is the file's pages, which the kernel may drop and bring back
// (a dataset larger than memory trains, paging). Parquet would compress
// better but must be decoded column by column, costing time and a second
// copy on every read by every downstream step; float embeddings barely
// compress anyway. float32 halves the bytes against float64 and loses
// nothing an embedding model put in.
//
// Alignment, decided: an Arrow IPC file starts each message's body at a
// multiple of 8 bytes, and Arrow's writer pads each buffer in the body to
// 64, so every buffer of a file that Write makes starts at a multiple of 8
// bytes into the file, and a memory map (page-aligned) holds the matrix,
// labels and weights aligned for float32, uint8 and float64: every
// dataset pipe writes is used in place (TestWrittenFilesMapInPlace). The
// bytes are those pipe has always written; aligning buffers to 64 bytes
// in the file would change them (and every cache key that names a
// dataset) for no gain: the AVX2 kernels load unaligned, and rows of 584
// floats do not start on cache lines anyway. A file that another writer
// aligned less (or bytes at an odd address) is still read correctly:
// View copies each buffer that is not aligned for its type.
//
// The bytes of a mapped dataset are checked against the artifact's digest
// by the engine, beside the step (see engine/store's Map), and a file
// truncated under the map makes reads fault: the code that reads a
// Dataset's slices must guard its goroutines (steps/shared/fault), as
// FirstNonFinite and the kinds do.
//
// One record batch, rather than many, is what makes the matrix contiguous.
// Files are deterministic: the same Dataset always gives the same bytes
// (no timestamps, no compression, fixed metadata order), which the cache
// relies on.
//
// Labels are stored as uint8 and read in place into [Dataset.Y]; the
// trainer's float64 labels come from [Dataset.LabelsFloat64]. Ids and
// texts are copied into Go strings (one allocation per column).
//
// Reading validates everything a step downstream relies on (column types,
// width, lengths, no nulls, labels 0 or 1, finite features and weights)
// and never panics on a corrupt or hostile file: it returns an error.
// [OpenUnscanned] leaves out the search of the features for NaN and ±Inf,
// a pass over the whole matrix, for a step that reads each row once
// anyway and checks a row with [Dataset.CheckRow] when its result is not
// finite (scoring); the message is the same.
package dataset
