// Package evaluate is the evaluate step kind: it scores a trained model
// (steps/shared/logreg, made by steps/train) on a dataset artifact and stores a
// report and a plot of the ROC and precision-recall curves. The metrics
// themselves are steps/shared/metrics'; publish (steps/publish) reads the
// report, and the kind describes it for people (steps.Summarizer: its
// metrics, curves and plot), which is what pipe serve's page shows.
//
//	evaluate "holdout" {
//	  model     = train.model.model
//	  data      = load.corpus.test
//	  threshold = 0.5          # default; or "max_f1" to choose it on these data
//	}
//
// A row is predicted class 1 when its probability is strictly greater
// than the threshold, so 0.5 reproduces scikit-learn's predict. With
// "max_f1" the threshold is the one that maximises F1 on the data (see
// metrics.MaxF1): an optimistic figure on the data it was chosen on, meant
// to be read off a validation set and then given to predict as a number.
//
// Outputs: f1, accuracy, roc_auc, precision, recall, log_loss, pr_auc
// (average precision), threshold (the one used), confusion ({ tp, fp, tn,
// fn }, weighted when the data has weights), rows, report (artifact) and
// plot (artifact, the PNG the report names). Every number agrees with
// scikit-learn 1.2.1 to 1e-9 on the same probabilities, ties and sample
// weights included (steps/shared/metrics tests it against committed reference
// values).
//
// # The report
//
// The report artifact (media.Report) is JSON:
//
//	{
//	  "format": "pipe.report/v1",
//	  "model": {"digest": "sha256:...", "dim": 584, "training_data": "sha256:...", "params": {...}},
//	  "data": {"digest": "sha256:...", "rows": 2000, "positives": 600, "weighted": false,
//	           "positive": "private", "features": "prefix emb_, dim 584"},
//	  "threshold": 0.5,
//	  "threshold_rule": "fixed",
//	  "metrics": {"f1": ..., "accuracy": ..., "roc_auc": ..., "precision": ...,
//	              "recall": ..., "log_loss": ..., "pr_auc": ...},
//	  "confusion": {"tp": 1, "fp": 2, "tn": 3, "fn": 4},
//	  "max_f1": {"score": ..., "threshold": ..., "f1": ...},
//	  "curves": {"step": 0.001,
//	             "roc": {"fpr": [...], "tpr": [...], "thresholds": [...]},
//	             "pr": {"precision": [...], "recall": [...], "thresholds": [...]}},
//	  "plot": {"digest": "sha256:...", "media_type": "image/png"}
//	}
//
// metrics holds numbers only, so a reader can compare every key of it
// (publish's promote_if does). The curves are scikit-learn's roc_curve and
// precision_recall_curve, thinned to the points that move at least
// curves.step (0.001) from the last point kept (see
// metrics.Settings.CurveStep): at most a few thousand points whatever the
// number of rows, a few hundred kilobytes of JSON, and every area is
// computed from the whole curves before thinning. The plot is drawn from
// the same thinned curves; a step of 0.001 is under half a pixel at its
// size. The same model and data always give the same report and plot
// bytes.
//
// # Bad input
//
// A model whose feature width is not the data's is refused with a message
// that names both widths. Data with a single class (or a class of zero
// total weight) is refused: ROC AUC and average precision are undefined
// there, and scikit-learn raises too; no NaN is ever published.
package evaluate
