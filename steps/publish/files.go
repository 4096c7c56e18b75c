package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pipe-ml/pipe/steps"
)

// The files of a version folder.
const (
	modelFile   = "model.json"
	reportFile  = "report.json"
	lineageFile = "lineage.json"
)

// publisher writes one model's version folder and records it.
type publisher struct {
	env    steps.Env
	models steps.ModelRegistry
	cfg    *config
	rep    *report
	// files holds the bytes of model.json and report.json.
	files map[string][]byte
}

func (p *publisher) versionURI(v int) string { return p.cfg.base + fmt.Sprintf("v%d/", v) }

func versionKey(v int, file string) string { return fmt.Sprintf("v%d/%s", v, file) }

// publish writes the files and records the version, in that order, and
// returns the version and whether it is new. The number comes from the
// registry's log (ReserveVersion) before anything is written, so that no
// two publishes, on any machines, write one folder.
func (p *publisher) publish(ctx context.Context) (int, bool, error) {
	c := p.cfg
	b, err := p.env.OpenBucket(ctx, c.to)
	if err != nil {
		return 0, false, fmt.Errorf("publish: opening %s: %w", c.to, err)
	}
	defer b.Close()

	existing, err := p.models.FindVersion(ctx, c.name, c.model.Digest)
	if err != nil {
		return 0, false, fmt.Errorf("publish: %w", err)
	}
	if existing > 0 {
		// Published before: heal the folder if files went missing, and
		// change nothing else.
		if err := p.ensure(ctx, b, existing); err != nil {
			return 0, false, err
		}
		return existing, false, p.recordFolder(ctx, b, existing)
	}

	n, err := p.models.ReserveVersion(ctx, c.name, c.model.Digest)
	if err != nil {
		return 0, false, fmt.Errorf("publish: taking a version number for %s: %w", c.name, err)
	}
	if err := p.claim(ctx, b, n); err != nil {
		return 0, false, err
	}
	lineage, err := p.lineageFile(ctx, n)
	if err != nil {
		return 0, false, err
	}
	if err := write(ctx, b, versionKey(n, reportFile), p.files[reportFile], false); err != nil {
		return 0, false, p.writeErr(n, reportFile, err)
	}
	if err := write(ctx, b, versionKey(n, lineageFile), lineage, false); err != nil {
		return 0, false, p.writeErr(n, lineageFile, err)
	}

	v, created, err := p.models.CreateVersion(ctx, steps.ModelVersion{
		Model:          c.name,
		ModelDigest:    c.model.Digest,
		ReportDigest:   c.report.Digest,
		URI:            c.base + "v{version}/",
		Metrics:        p.rep.Metrics,
		EvalDataDigest: p.rep.DataDigest,
	})
	if err != nil {
		return 0, false, fmt.Errorf("publish: recording %s version %d: %w", c.name, n, err)
	}
	if v != n {
		return 0, false, fmt.Errorf("publish: the registry reserved version %d of %s for this model but recorded it as version %d; %s was written: check `pipe models show %s`", n, c.name, v, p.versionURI(n), c.name)
	}
	return v, created, p.recordFolder(ctx, b, v)
}

// recordFolder tells the engine the files of version v's folder, as they
// are now, so that a later apply that takes this step from the cache
// writes them again where they are missing (another machine's folder, a
// deleted one). Their bytes are stored as artifacts.
func (p *publisher) recordFolder(ctx context.Context, b *blob.Bucket, v int) error {
	for _, file := range []string{modelFile, reportFile, lineageFile} {
		key := versionKey(v, file)
		data, err := b.ReadAll(ctx, key)
		if err != nil {
			return fmt.Errorf("publish: reading back %s%s: %w", p.versionURI(v), file, err)
		}
		a, err := p.env.PutArtifact(ctx, "application/json", func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
		if err != nil {
			return fmt.Errorf("publish: storing %s%s: %w", p.versionURI(v), file, err)
		}
		steps.WroteExternal(p.env, steps.ExternalFile{Folder: p.cfg.to, Name: key, Artifact: a})
	}
	return nil
}

// claim takes version n's folder by writing model.json only if it is not
// there yet. Finding the same model there is an earlier publish that died
// before recording it; finding another one is a conflict.
func (p *publisher) claim(ctx context.Context, b *blob.Bucket, n int) error {
	key := versionKey(n, modelFile)
	err := write(ctx, b, key, p.files[modelFile], true)
	if err == nil {
		return nil
	}
	if gcerrors.Code(err) != gcerrors.FailedPrecondition {
		return p.writeErr(n, modelFile, err)
	}
	same, err := p.sameModel(ctx, b, key)
	if err != nil {
		return err
	}
	if !same {
		return p.conflict(n)
	}
	p.env.Logger().Info("taking over a version folder left by a publish that did not finish", "uri", p.versionURI(n))
	return nil
}

// ensure writes the files of version v that are missing, checking that a
// model.json already there is this model.
func (p *publisher) ensure(ctx context.Context, b *blob.Bucket, v int) error {
	key := versionKey(v, modelFile)
	err := write(ctx, b, key, p.files[modelFile], true)
	switch {
	case err == nil:
	case gcerrors.Code(err) == gcerrors.FailedPrecondition:
		same, err := p.sameModel(ctx, b, key)
		if err != nil {
			return err
		}
		if !same {
			return p.conflict(v)
		}
	default:
		return p.writeErr(v, modelFile, err)
	}
	if err := write(ctx, b, versionKey(v, reportFile), p.files[reportFile], true); err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
		return p.writeErr(v, reportFile, err)
	}
	key = versionKey(v, lineageFile)
	ok, err := b.Exists(ctx, key)
	if err != nil {
		return fmt.Errorf("publish: checking %s%s: %w", p.versionURI(v), lineageFile, err)
	}
	if ok {
		return nil
	}
	lineage, err := p.lineageFile(ctx, v)
	if err != nil {
		return err
	}
	if err := write(ctx, b, key, lineage, true); err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
		return p.writeErr(v, lineageFile, err)
	}
	return nil
}

func (p *publisher) sameModel(ctx context.Context, b *blob.Bucket, key string) (bool, error) {
	got, err := b.ReadAll(ctx, key)
	if err != nil {
		return false, fmt.Errorf("publish: reading %s%s: %w", p.cfg.base, key, err)
	}
	return bytes.Equal(got, p.files[modelFile]), nil
}

func (p *publisher) conflict(v int) error {
	return errorf("to", "Version folder taken",
		"%s already holds another model than %s, so the registry and the folder disagree about %s version %d (was the registry reset, or does another registry publish to this folder?). Nothing was written or recorded. Publish to a new folder (to), under another name (name), or remove the stray folder.",
		p.versionURI(v)+modelFile, short(p.cfg.model.Digest), p.cfg.name, v)
}

func (p *publisher) writeErr(v int, file string, err error) error {
	return fmt.Errorf("publish: writing %s%s: %w", p.versionURI(v), file, err)
}

// write stores data at key; the object appears whole on Close or not at
// all. With ifNotExist, an existing object is left alone and the error's
// gcerrors.Code is FailedPrecondition.
func write(ctx context.Context, b *blob.Bucket, key string, data []byte, ifNotExist bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/json", IfNotExist: ifNotExist})
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		cancel() // abandons the write
		w.Close()
		return err
	}
	return w.Close()
}
