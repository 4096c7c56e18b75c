package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
)

func TestPublicText(t *testing.T) {
	p := Public{Dir: "/srv/pipelines/intent"}
	for in, want := range map[string]string{
		"open /srv/pipelines/intent/data/a.csv: no such file":      "open data/a.csv: no such file",
		`store "file:///var/lib/pipe/store" does not answer`:       `store "file://…/store" does not answer`,
		"cannot read /home/alice/secret.txt (permission denied)":   "cannot read …/secret.txt (permission denied)",
		"folder=/srv/pipelines/intent, next=/srv/pipelines/intent": "folder=., next=.",
		"gs://bucket/prefix/objects and s3://b/k stay":             "gs://bucket/prefix/objects and s3://b/k stay",
		"f1 0.8882 and 3/4 of the folds, a / b":                    "f1 0.8882 and 3/4 of the folds, a / b",
		"/":                                                        "/",
		"":                                                         "",
	} {
		if got := p.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublicRecords(t *testing.T) {
	p := Public{Dir: "/srv/p"}
	r := p.Run(registry.Run{ID: 1, Host: "node-7", User: "alice", StoreURL: "file:///srv/p/.pipe/store?no_tmp_dir=true", Error: "open /etc/x: denied"})
	if r.Host != "" || r.User != "" || r.StoreURL != "file://.pipe/store?no_tmp_dir=true" || r.Error != "open …/x: denied" {
		t.Errorf("Run: %+v", r)
	}
	e := p.Execution(registry.Execution{
		Config:   json.RawMessage(`{"path":"/srv/p/data/*.csv","c":0.30000000000000004,"n":[1,"/opt/x"]}`),
		Outputs:  json.RawMessage(`{"f1":0.8882}`),
		Warnings: []string{"wrote /tmp/y"},
		Used:     []registry.ArtifactRef{{URI: "file:///var/store/objects/ab"}},
	})
	if string(e.Config) != `{"c":0.30000000000000004,"n":[1,"…/x"],"path":"data/*.csv"}` || string(e.Outputs) != `{"f1":0.8882}` ||
		e.Warnings[0] != "wrote …/y" || e.Used[0].URI != "file://…/ab" {
		t.Errorf("Execution: %s %s %v %+v", e.Config, e.Outputs, e.Warnings, e.Used)
	}
}

func TestEcho(t *testing.T) {
	if got := Echo("short"); got != `"short"` {
		t.Errorf("Echo(short) = %s", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes
	got := Echo(long)
	if !strings.HasSuffix(got, "(136 bytes more)") || !strings.HasPrefix(got, `"éé`) || strings.Contains(got, "\\x") {
		t.Errorf("Echo(long) = %s", got)
	}
}

func TestCheckRef(t *testing.T) {
	for ref, ok := range map[string]bool{
		"intent@champion": true, "intent@3": true, "intent@v3": true, "data/a.csv": true, "a@b@2147483647": true,
		"": false, "intent@0": false, "intent@v0": false, "intent@2147483648": false, "intent@99999999999999999999": false,
		strings.Repeat("x", maxRef+1): false,
	} {
		if err := CheckRef(ref); (err == nil) != ok {
			t.Errorf("CheckRef(%.40q) = %v", ref, err)
		}
	}
}
