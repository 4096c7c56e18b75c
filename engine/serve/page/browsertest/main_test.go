package browsertest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	// The pipe binary TestMain builds is made of these (and of cmd/pipe,
	// which no package may import): importing them lets go test's cache
	// see a change in them. After a change in cmd/pipe alone, run the
	// tests with -count=1.
	_ "github.com/pipe-ml/pipe/engine/serve"
	_ "github.com/pipe-ml/pipe/engine/testkinds"
	_ "github.com/pipe-ml/pipe/steps/builtin"
)

var (
	// chromium is the browser the tests drive; why is set instead when
	// they skip.
	chromium, why string
	// pipeBin is the pipe binary TestMain built.
	pipeBin string
)

func TestMain(m *testing.M) {
	flag.Parse()
	chromium = os.Getenv("PIPE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	switch _, err := os.Stat(chromium); {
	case err != nil:
		why = fmt.Sprintf("no Chromium at %s (apt-get install chromium, or set PIPE_CHROMIUM)", chromium)
	case testing.Short() && os.Getenv("PIPE_REQUIRE_BROWSER") != "1":
		why = "the browser tests are slow; skipped with -short"
	}
	if why != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "pipe-browsertest-")
	if err != nil {
		panic(err)
	}
	pipeBin = filepath.Join(dir, "pipe")
	build := exec.Command("go", "build", "-tags", "pipetest", "-o", pipeBin, "github.com/pipe-ml/pipe/cmd/pipe")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building pipe: " + err.Error())
	}
	code := m.Run()
	closeSite()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBrowser skips the test when there is no browser to drive, or fails
// it when PIPE_REQUIRE_BROWSER=1 says there must be one.
func needBrowser(t *testing.T) {
	t.Helper()
	if why == "" {
		return
	}
	if os.Getenv("PIPE_REQUIRE_BROWSER") == "1" {
		t.Fatalf("PIPE_REQUIRE_BROWSER=1, but %s", why)
	}
	t.Skipf("%s; set PIPE_REQUIRE_BROWSER=1 to make this a failure", why)
}
