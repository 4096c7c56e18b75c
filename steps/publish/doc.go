// Package publish is the publish step kind: it copies a trained model and
// its evaluation report to a versioned folder in blob storage, records the
// version in the model registry, and optionally moves an alias to it.
//
//	publish "release" {
//	  model      = train.model.model        # artifact, media.Model
//	  report     = evaluate.holdout.report  # artifact, media.Report
//	  to         = "gs://privacy-models/privacy-intent"   # or a path relative to the pipeline
//	  name       = "privacy-intent"         # default: the last element of to
//	  require    = evaluate.holdout.f1 >= 0.85
//	  alias      = "champion"
//	  promote_if = { metric = "f1", min_delta = 0.0 }
//	}
//
// Outputs: name, version (1, 2, ...), uri (TO/vN/), created (false when
// this model was published before), promoted (whether alias points at this
// version after the step) and alias_version (where alias points after the
// step; null without alias).
//
// # What a version holds
//
// TO/vN/ holds three files: model.json and report.json, the model and
// report artifacts byte for byte, and lineage.json: the format
// ("pipe.lineage/v1"), the model's name, version, digest and URI, the
// report's digest, the run that published it (with its Git commit) and the
// registry's upstream lineage of the model artifact at publish time (the
// train execution and its configuration, the data, the load execution and
// the input files with their digests). Files go through gocloud.dev/blob
// (env.OpenBucket), so TO may be gs://, s3://, file:// or a local path.
//
// A version is one model digest: publishing the same model again, to any
// folder, makes no new version and rewrites no file (missing files are
// written again, so a deleted or half-written folder heals), and created is
// false. The version's metrics are those of the report it was first
// published with.
//
// # Gates and aliases
//
// require must be true for anything to happen; when it is false the step
// fails with an error that shows the expression and the values in it
// ("evaluate.holdout.f1 >= 0.85 (evaluate.holdout.f1 = 0.81)"), and the
// model is neither copied nor recorded. Plan warns when require is already
// known to be false.
//
// alias alone moves the alias to this version. With promote_if it moves
// only when this version beats the one the alias points at on the metric
// (by more than min_delta), both measured on the same evaluation data: the
// report's data.digest is the version's evaluation data. An incumbent
// measured on other data, or without the metric, keeps the alias, and a
// warning says why. lower_is_better defaults to true for metrics named
// like losses and errors (loss, log_loss, *_loss, error, *_error, mse,
// rmse, mae) and false otherwise; set it to say otherwise.
// Every move is recorded in the alias history as made by a publish, with
// the run and the metrics compared; `pipe models promote` and `pipe models
// rollback` move aliases by hand.
//
// The report must be of the model published: its model.digest is checked.
// Only the report fields format, model.digest, data.digest and metrics
// (numbers, by name) are read.
//
// # Version numbers, and failures half-way
//
// The registry's log gives the number, before anything is written: the
// model's existing version, or a number reserved for this model digest in
// the log (ReserveVersion), which no other publish, on any machine that
// shares the store, can get; two publishes of the same model share it. A
// recorded version must never point at missing files, so the files are
// written before the version is recorded. The folder is claimed by
// writing vN/model.json only if no object exists there (a conditional
// write: atomic on GCS, S3 and local folders). If vN/model.json is already
// there with the same bytes, an earlier publish of this model died before
// recording it, and this one carries on; with other bytes, the folder and
// the registry disagree (the registry's log was replaced, or something
// else writes to the folder) and the step fails without touching the
// folder. Then report.json and lineage.json are written (each atomically,
// on Close), the version is recorded, and the alias moved. A failure
// before the record leaves at most a reservation and files that the next
// publish of the same model reuses, under the same number; a failure
// after it leaves a complete version; the alias moves last.
//
// The step's outputs go into the cache like any step's: an apply that
// changes nothing the step reads does not run it again, so a rollback done
// by hand stays until a new model (or a changed publish block) comes. The
// version folder's files are side effects the engine keeps track of
// (steps.ExternalFile, their bytes stored as artifacts): an apply that
// takes the step from the cache, on this machine or another that shares
// the store (and so the registry's log), writes again the files that are
// missing or different, and records nothing new: the version is already
// in the log.
package publish
