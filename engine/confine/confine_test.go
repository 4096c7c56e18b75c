package confine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "pipeline")
	shared := filepath.Join(base, "shared")
	secret := filepath.Join(base, "secret")
	for _, d := range []string{filepath.Join(dir, "data"), filepath.Join(shared, "in"), filepath.Join(secret, "deep")} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(secret, "token.txt"), []byte("x"), 0o644)
	os.Symlink(secret, filepath.Join(dir, "out"))                      // a link that leaves
	os.Symlink(filepath.Join(secret, "deep"), filepath.Join(dir, "d")) // d/.. is secret, not dir
	os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "alias"))
	r := New(dir, []Root{{Path: "../shared", From: "settings.allowed_paths"}})

	for _, ok := range []string{
		"data/a.csv", "data", ".", "data/new/file.csv", "alias/a.csv", filepath.Join(dir, "data"),
		"../shared/in/x.parquet", shared, "file://" + filepath.ToSlash(filepath.Join(dir, "data")),
		"gs://bucket/models", "s3://b/p?region=x", "mem://out", "file://data/x.csv",
	} {
		if err := r.CheckLocation(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"../secret.txt", "../../x.csv", "/etc/passwd", "out/token.txt", "out/new.csv", "d/../token.txt",
		"data/../../secret", "file:///etc/passwd", "file://../m", "../shared2", "alias/../../secret",
	} {
		err := r.CheckLocation(bad)
		var esc *EscapeError
		if !errors.As(err, &esc) || !errors.Is(err, ErrEscape) {
			t.Errorf("%s: %v; want an escape", bad, err)
			continue
		}
		for _, want := range []string{"is outside the pipeline folder " + dir + ", " + shared + " (settings.allowed_paths)", "settings { allowed_paths = [...] }", "-allow-path=DIR"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error lacks %q: %v", bad, want, err)
			}
		}
	}
	if err := r.Check("out/token.txt"); !strings.Contains(err.Error(), "(it leads to "+filepath.Join(secret, "token.txt")+")") {
		t.Errorf("a link that leaves does not say where it leads: %v", err)
	}
}
