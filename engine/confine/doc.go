// Package confine keeps the local paths a pipeline names inside the
// folders it may use: the pipeline's own folder, and the roots the
// pipeline or the command line allows (settings { allowed_paths }, the
// -allow-path flag, PIPE_ALLOWED_PATHS). A path outside them is an
// escape, whether it leaves with "..", is absolute, or passes through a
// symbolic link that points out: links are resolved before the check, as
// far as the path exists.
//
// Blob URLs (gs://, s3://, mem://) are not local paths and are not
// confined; file:// URLs and bare paths are.
//
// engine/lang confines the file functions (file, filesha256,
// fileexists); engine/eval the attributes a kind declares as paths
// (steps.Attribute.Path), with a diagnostic at the value; engine/plan
// every input file a kind lists; engine/stepenv every local folder a step
// opens; engine/apply the files it restores from the cache.
// engine/pipeline decides the roots.
package confine
