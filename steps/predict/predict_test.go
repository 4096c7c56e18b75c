package predict

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

func synthData(n, dim int, seed uint64) *dataset.Dataset {
	g := synth.Generate(synth.Config{N: n, Dim: dim, Seed: seed})
	g.Meta = dataset.Meta{Positive: "private", Part: dataset.PartData, Features: "prefix emb_, dim " + strconv.Itoa(dim)}
	return g.Dataset
}

func putDataset(t testing.TB, env *steptest.Env, d *dataset.Dataset) cty.Value {
	t.Helper()
	return env.PutWith(media.Dataset.Type, func(w io.Writer) error { return dataset.Write(w, d) }).Value()
}

func trainModel(t testing.TB, ds *dataset.Dataset) *logreg.Model {
	t.Helper()
	data := &logreg.Data{X: ds.X, N: ds.N, D: ds.Dim, Y: ds.LabelsFloat64()}
	res, err := logreg.Fit(context.Background(), data, logreg.DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := logreg.NewModel(res, data, logreg.DefaultParams(), logreg.Features{Source: ds.Meta.Features}, "sha256:"+strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// row is one line of a predictions file.
type row struct {
	id    string
	prob  float64
	label int64
}

func readCSV(t *testing.T, b []byte) []row {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,probability,label" {
		t.Fatalf("header %v", recs[0])
	}
	var rows []row
	for _, r := range recs[1:] {
		p, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		l, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{r[0], p, l})
	}
	return rows
}

func readParquet(t *testing.T, b []byte) []row {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if got := pf.MetaData().GetCreatedBy(); got != "pipe predict" {
		t.Errorf("created_by %q", got)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if s := tbl.Schema().String(); !strings.Contains(s, "id: type=utf8") || !strings.Contains(s, "probability: type=float64") || !strings.Contains(s, "label: type=int64") {
		t.Errorf("schema %s", s)
	}
	var rows []row
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		ids, probs, labels := rec.Column(0).(*array.String), rec.Column(1).(*array.Float64), rec.Column(2).(*array.Int64)
		for i := 0; i < int(rec.NumRows()); i++ {
			rows = append(rows, row{ids.Value(i), probs.Value(i), labels.Value(i)})
		}
	}
	return rows
}

// check compares rows with the model's predictions of ds.
func check(t *testing.T, rows []row, m *logreg.Model, ds *dataset.Dataset, threshold float64) {
	t.Helper()
	p, err := m.PredictProba(ds.X, ds.N, ds.Dim)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != ds.N {
		t.Fatalf("%d rows, want %d", len(rows), ds.N)
	}
	for i, r := range rows {
		id := strconv.Itoa(i + 1)
		if ds.IDs != nil {
			id = ds.IDs[i]
		}
		label := int64(0)
		if p[i] > threshold {
			label = 1
		}
		if r != (row{id, p[i], label}) {
			t.Fatalf("row %d = %+v, want %+v", i, r, row{id, p[i], label})
		}
	}
}

func TestLocal(t *testing.T) {
	ds := synthData(1500, 16, 1)
	m := trainModel(t, ds)
	for _, tt := range []struct {
		to, file, media string
		read            func(*testing.T, []byte) []row
	}{
		{"out/predictions.csv", "out/predictions.csv", media.PredictionsCSV.Type, readCSV},
		{"out/2026/predictions.parquet", "out/2026/predictions.parquet", media.PredictionsParquet.Type, readParquet},
		{"preds.PQ", "preds.PQ", media.PredictionsParquet.Type, readParquet},
	} {
		t.Run(tt.to, func(t *testing.T) {
			env := steptest.NewEnv(t)
			out, err := env.Run(Kind{}, map[string]cty.Value{
				"model": env.PutWith(media.Model.Type, m.Encode).Value(), "data": putDataset(t, env, ds),
				"to": cty.StringVal(tt.to), "threshold": cty.NumberFloatVal(0.4),
			})
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(env.Dir(), tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, env.Read(out["predictions"])) {
				t.Error("the file and the predictions artifact differ")
			}
			if mt := out["predictions"].GetAttr("media_type").AsString(); mt != tt.media {
				t.Errorf("media type %s, want %s", mt, tt.media)
			}
			rows := tt.read(t, b)
			check(t, rows, m, ds, 0.4)
			pos := 0
			for _, r := range rows {
				pos += int(r.label)
			}
			if n, _ := out["rows"].AsBigFloat().Int64(); n != 1500 {
				t.Errorf("rows %d", n)
			}
			if n, _ := out["positives"].AsBigFloat().Int64(); int(n) != pos || pos == 0 {
				t.Errorf("positives %d, want %d", n, pos)
			}
			want := "file://" + filepath.ToSlash(filepath.Join(env.Dir(), tt.file))
			if got := out["uri"].AsString(); got != want {
				t.Errorf("uri %s, want %s", got, want)
			}
		})
	}
}

// TestNoIDs writes row numbers when the data has no ids, and many row
// groups.
func TestNoIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("300,000 rows")
	}
	ds := synthData(rowGroupRows*2+100, 8, 2)
	ds.IDs, ds.Texts = nil, nil
	m := trainModel(t, ds)
	env := steptest.NewEnv(t)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"model": env.PutWith(media.Model.Type, m.Encode).Value(), "data": putDataset(t, env, ds),
		"to": cty.StringVal("p.parquet"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := env.Read(out["predictions"])
	check(t, readParquet(t, b), m, ds, 0.5)
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRowGroups() != 3 {
		t.Errorf("%d row groups, want 3", pf.NumRowGroups())
	}
}

func TestDeterministic(t *testing.T) {
	ds := synthData(2000, 16, 3)
	m := trainModel(t, ds)
	for _, to := range []string{"a.parquet", "a.csv"} {
		var digests []string
		for _, par := range []int{1, 4} {
			env := steptest.NewEnv(t, steptest.Parallelism(par))
			out, err := env.Run(Kind{}, map[string]cty.Value{
				"model": env.PutWith(media.Model.Type, m.Encode).Value(), "data": putDataset(t, env, ds), "to": cty.StringVal(to),
			})
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, out["predictions"].GetAttr("digest").AsString())
		}
		if digests[0] != digests[1] {
			t.Errorf("%s: digests differ: %v", to, digests)
		}
	}
}

func TestMem(t *testing.T) {
	ds := synthData(300, 8, 4)
	m := trainModel(t, ds)
	env := steptest.NewEnv(t)
	out, err := env.Run(Kind{}, map[string]cty.Value{
		"model": env.PutWith(media.Model.Type, m.Encode).Value(), "data": putDataset(t, env, ds),
		"to": cty.StringVal("mem://preds/daily/p.csv"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["uri"].AsString(); got != "mem://preds/daily/p.csv" {
		t.Errorf("uri %s", got)
	}
	b, err := env.OpenBucket(t.Context(), "mem://preds")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := b.ReadAll(t.Context(), "daily/p.csv")
	if err != nil {
		t.Fatal(err)
	}
	check(t, readCSV(t, data), m, ds, 0.5)
}

// TestGCS writes through the GCS API to the emulator (no t.Parallel:
// gcstest sets STORAGE_EMULATOR_HOST).
func TestGCS(t *testing.T) {
	srv := gcstest.Start(t)
	ds := synthData(500, 8, 5)
	m := trainModel(t, ds)
	env := steptest.NewEnv(t)
	for _, to := range []string{
		srv.URL() + "/preds/2026/predictions.parquet",
		srv.URL() + "/top.csv?anonymous=true",
	} {
		out, err := env.Run(Kind{}, map[string]cty.Value{
			"model": env.PutWith(media.Model.Type, m.Encode).Value(), "data": putDataset(t, env, ds),
			"to": cty.StringVal(to),
		})
		if err != nil {
			t.Fatal(err)
		}
		uri := out["uri"].AsString()
		key := strings.TrimPrefix(uri, srv.URL()+"/")
		if strings.Contains(uri, "?") || key == uri {
			t.Fatalf("uri %s", uri)
		}
		b, err := env.OpenBucket(t.Context(), srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.ReadAll(t.Context(), key)
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, env.Read(out["predictions"])) {
			t.Errorf("%s: the object and the artifact differ", to)
		}
		if strings.HasSuffix(key, ".csv") {
			check(t, readCSV(t, data), m, ds, 0.5)
		} else {
			check(t, readParquet(t, data), m, ds, 0.5)
		}
	}
}

// TestNothingPartial fails an encoder half way and expects no file, and
// no temporary file, in the folder.
func TestNothingPartial(t *testing.T) {
	env := steptest.NewEnv(t)
	d, _ := parseDest("out/p.csv")
	_, err := write(t.Context(), env, d, media.PredictionsCSV.Type, func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
			return err
		}
		return errors.New("disk on fire")
	})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("error %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(env.Dir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestBadInput(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(300, 16, 6)
	model := env.PutWith(media.Model.Type, trainModel(t, ds).Encode).Value()
	_, err := env.Run(Kind{}, map[string]cty.Value{
		"model": model, "data": putDataset(t, env, synthData(100, 10, 7)), "to": cty.StringVal("out/p.csv"),
	})
	var ae *steps.AttrError
	if !errors.As(err, &ae) || steps.FormatPath(ae.Path) != "data" || ae.Summary != "Feature width mismatch" ||
		!strings.Contains(ae.Detail, "The model expects 16 features per row (prefix emb_, dim 16) but the data has 10 (prefix emb_, dim 10)") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(filepath.Join(env.Dir(), "out")); !os.IsNotExist(err) {
		t.Errorf("a refused prediction created its folder: %v", err)
	}
}

// TestNonFiniteData: data that holds a NaN (a file another writer made)
// is refused with the row and the feature named, found from scoring's
// margins, and no prediction file is written.
func TestNonFiniteData(t *testing.T) {
	env := steptest.NewEnv(t, steptest.LocalStore())
	ds := synthData(300, 16, 6)
	b, err := synth.WithNonFinite(ds, map[int]float32{41*16 + 7: float32(math.NaN())})
	if err != nil {
		t.Fatal(err)
	}
	model := env.PutWith(media.Model.Type, trainModel(t, ds).Encode).Value()
	_, err = env.Run(Kind{}, map[string]cty.Value{
		"model": model, "data": env.Put(media.Dataset.Type, b).Value(), "to": cty.StringVal("out/p.csv"),
	})
	if want := "predict: reading the data: dataset: row 42, feature 7: NaN is not a finite number"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(env.Dir(), "out")); !os.IsNotExist(err) {
		t.Errorf("a refused prediction created its folder: %v", err)
	}
}

func TestValidate(t *testing.T) {
	env := steptest.NewEnv(t)
	ds := synthData(50, 8, 8)
	data := putDataset(t, env, ds)
	model := env.PutWith(media.Model.Type, trainModel(t, ds).Encode).Value()
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		want  string
	}{
		{"ok", map[string]cty.Value{"to": cty.StringVal("p.csv")}, ""},
		{"unknown", map[string]cty.Value{"model": cty.UnknownVal(steps.ArtifactType), "data": cty.UnknownVal(steps.ArtifactType),
			"to": cty.UnknownVal(cty.String), "threshold": cty.UnknownVal(cty.Number)}, ""},
		{"no extension", map[string]cty.Value{"to": cty.StringVal("out/predictions")}, `to: Invalid destination: "predictions" has no extension; name a .parquet or .csv file, which chooses the format.`},
		{"json", map[string]cty.Value{"to": cty.StringVal("gs://b/p.json")}, `to: Invalid destination: "p.json" has the extension ".json"; name a .parquet or .csv file, which chooses the format.`},
		{"folder", map[string]cty.Value{"to": cty.StringVal("gs://b/preds/")}, `to: Invalid destination: "gs://b/preds/" names a folder, not a file; add the file name, e.g. gs://b/preds/predictions.parquet.`},
		{"bucket", map[string]cty.Value{"to": cty.StringVal("gs://b")}, `to: Invalid destination: "gs://b" names a bucket but no file; write gs://BUCKET/FOLDER/NAME.parquet (or .csv).`},
		{"empty", map[string]cty.Value{"to": cty.StringVal(" ")}, `to: Invalid destination: to names the file to write, e.g. "out/predictions.parquet" or "gs://bucket/predictions/predictions.csv".`},
		{"threshold", map[string]cty.Value{"to": cty.StringVal("p.csv"), "threshold": cty.NumberIntVal(1)}, "threshold: Invalid threshold: threshold must be a number between 0 and 1 (exclusive), not 1."},
		{"swapped", map[string]cty.Value{"to": cty.StringVal("p.csv"), "model": data, "data": model},
			"model: Wrong kind of artifact: model is a dataset artifact (" + media.Dataset.Type + "), not a model artifact (" + media.Model.Type + ").\n" +
				"data: Wrong kind of artifact: data is a model artifact (" + media.Model.Type + "), not a dataset artifact (" + media.Dataset.Type + ")."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]cty.Value{"model": model, "data": data}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			var got []string
			for _, e := range steptest.Validate(t, Kind{}, attrs) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestParseDest(t *testing.T) {
	tests := []struct {
		to                   string
		folder, name, format string
		uri                  string
	}{
		{"p.csv", ".", "p.csv", "csv", "file:///pipe/p.csv"},
		{"out/p.parquet", "out/", "p.parquet", "parquet", "file:///pipe/out/p.parquet"},
		{"/abs/out/p.parquet", "/abs/out/", "p.parquet", "parquet", "file:///abs/out/p.parquet"},
		{"file:///abs/p.csv", "file:///abs", "p.csv", "csv", "file:///abs/p.csv"},
		{"file:///p.csv", "file:///", "p.csv", "csv", "file:///p.csv"},
		{"file://rel/p.csv", "file://rel", "p.csv", "csv", "file:///pipe/rel/p.csv"},
		{"gs://bucket/p.csv", "gs://bucket", "p.csv", "csv", "gs://bucket/p.csv"},
		{"gs://bucket/a/b/p.pq?anonymous=true", "gs://bucket/a/b?anonymous=true", "p.pq", "parquet", "gs://bucket/a/b/p.pq"},
		{"s3://bucket/x/p.csv?region=eu-west-1", "s3://bucket/x?region=eu-west-1", "p.csv", "csv", "s3://bucket/x/p.csv"},
		{"mem://m/p.csv", "mem://m", "p.csv", "csv", "mem://m/p.csv"},
	}
	for _, tt := range tests {
		d, err := parseDest(tt.to)
		if err != nil {
			t.Errorf("%s: %v", tt.to, err)
			continue
		}
		if *d != (dest{tt.folder, tt.name, tt.format}) {
			t.Errorf("%s: %+v, want %s %s %s", tt.to, *d, tt.folder, tt.name, tt.format)
		}
		if got := destURI(d, "/pipe"); got != tt.uri {
			t.Errorf("%s: uri %s, want %s", tt.to, got, tt.uri)
		}
	}
}
