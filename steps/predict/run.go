package predict

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/shared/scoring"
)

// Run predicts every row of the data and writes the file. See the package
// documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (_ steps.Outputs, err error) {
	defer fault.Guard(&err)() // the data is read in place: a fault on it is an error
	if errs := (Kind{}).Validate(in.Config); len(errs) > 0 {
		return nil, errs[0]
	}
	d, _ := parseDest(in.String("to"))
	threshold := in.Float("threshold", 0.5)
	sc, err := scoring.Score(ctx, env, in, "predict",
		"Predict on data loaded with the same features as the model's training data.")
	if err != nil {
		return nil, err
	}
	ds, p := sc.Data, sc.Prob
	rows := &predictions{ids: ds.IDs, prob: p, threshold: threshold}

	mediaType, encode := media.PredictionsCSV.Type, rows.writeCSV
	if d.format == formatParquet {
		mediaType, encode = media.PredictionsParquet.Type, rows.writeParquet
	}
	start := time.Now()
	a, err := write(ctx, env, d, mediaType, encode)
	if err != nil {
		return nil, err
	}
	// The file is a side effect: the engine restores it on a cache hit
	// where it is missing or different.
	steps.WroteExternal(env, steps.ExternalFile{Folder: d.folder, Name: d.name, Artifact: a})
	uri := destURI(d, in.Dir)
	positives := rows.positives()
	env.Logger().Info("predicted", "rows", ds.N, "positives", positives, "uri", uri,
		"score_seconds", sc.Duration.Seconds(), "write_seconds", time.Since(start).Seconds())
	return steps.Outputs{
		"predictions": a.Value(),
		"rows":        cty.NumberIntVal(int64(ds.N)),
		"positives":   cty.NumberIntVal(int64(positives)),
		"uri":         cty.StringVal(uri),
	}, nil
}

// write encodes the predictions once, into the store (as an artifact)
// and into the destination file at the same time. The file is committed
// only when the artifact is safely stored; on any error its writer is
// abandoned, so no partial file appears.
func write(ctx context.Context, env steps.Env, d *dest, mediaType string, encode func(io.Writer) error) (steps.Artifact, error) {
	b, err := env.OpenBucket(ctx, d.folder)
	if err != nil {
		return steps.Artifact{}, steps.Errorf(steps.AttrPath("to"), "Cannot open the destination",
			"Opening %s: %v. Check the URL or path and the credentials.", d.folder, err)
	}
	defer b.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := b.NewWriter(wctx, d.name, &blob.WriterOptions{ContentType: mediaType})
	if err != nil {
		return steps.Artifact{}, fmt.Errorf("predict: writing %s in %s: %w", d.name, d.folder, err)
	}
	a, err := env.PutArtifact(ctx, mediaType, func(w io.Writer) error {
		return encode(io.MultiWriter(w, bw))
	})
	if err != nil {
		cancel() // abandons the file
		_ = bw.Close()
		return steps.Artifact{}, fmt.Errorf("predict: writing the predictions: %w", err)
	}
	if err := bw.Close(); err != nil {
		return steps.Artifact{}, fmt.Errorf("predict: writing %s in %s: %w", d.name, d.folder, err)
	}
	return a, nil
}

// destURI returns where d is, as a URL without query: file:///abs/name
// for local files.
func destURI(d *dest, dir string) string {
	folder := d.folder
	if scheme, rest, ok := strings.Cut(folder, "://"); ok && scheme != "file" {
		rest, _, _ = strings.Cut(rest, "?")
		return scheme + "://" + strings.TrimRight(rest, "/") + "/" + d.name
	} else if ok {
		folder = rest
	}
	p := filepath.FromSlash(folder)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p = filepath.Join(p, d.name)
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}
