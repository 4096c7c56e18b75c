package openlineage

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The essential rules of the OpenLineage RunEvent JSON schema
// (https://openlineage.io/spec/2-0-2/OpenLineage.json), checked on the
// JSON as sent: required properties and their types, the eventType enum,
// date-time, uuid and uri formats, datasets, and the _producer and
// _schemaURL every facet must carry.

var eventTypes = map[string]bool{"START": true, "RUNNING": true, "COMPLETE": true, "ABORT": true, "FAIL": true, "OTHER": true}

// checkRunEvent returns every way raw breaks the RunEvent schema.
func checkRunEvent(raw []byte) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	for _, req := range []string{"run", "job", "eventTime", "producer", "schemaURL"} {
		if _, ok := ev[req]; !ok {
			bad("missing required %s", req)
		}
	}
	if t, ok := ev["eventType"]; ok {
		if s, ok := t.(string); !ok || !eventTypes[s] {
			bad("eventType %v is not one of the enum", t)
		}
	}
	if s, ok := ev["eventTime"].(string); !ok {
		bad("eventTime is not a string")
	} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		bad("eventTime %q is not an RFC 3339 date-time", s)
	}
	checkURI := func(what string, v any) {
		s, ok := v.(string)
		if !ok {
			bad("%s is not a string", what)
			return
		}
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			bad("%s %q is not a URI", what, s)
		}
	}
	checkURI("producer", ev["producer"])
	checkURI("schemaURL", ev["schemaURL"])
	checkFacets := func(where string, v any) {
		if v == nil {
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			bad("%s.facets is not an object", where)
			return
		}
		for name, f := range m {
			fm, ok := f.(map[string]any)
			if !ok {
				bad("%s.facets.%s is not an object", where, name)
				continue
			}
			checkURI(where+".facets."+name+"._producer", fm["_producer"])
			checkURI(where+".facets."+name+"._schemaURL", fm["_schemaURL"])
		}
	}
	if run, ok := ev["run"].(map[string]any); !ok {
		bad("run is not an object")
	} else {
		if id, ok := run["runId"].(string); !ok || !uuidRE.MatchString(id) {
			bad("run.runId %v is not a uuid", run["runId"])
		}
		checkFacets("run", run["facets"])
	}
	if job, ok := ev["job"].(map[string]any); !ok {
		bad("job is not an object")
	} else {
		for _, k := range []string{"namespace", "name"} {
			if s, ok := job[k].(string); !ok || s == "" {
				bad("job.%s %v is not a non-empty string", k, job[k])
			}
		}
		checkFacets("job", job["facets"])
	}
	for _, list := range []string{"inputs", "outputs"} {
		v, ok := ev[list]
		if !ok {
			continue
		}
		ds, ok := v.([]any)
		if !ok {
			bad("%s is not an array", list)
			continue
		}
		for i, d := range ds {
			dm, ok := d.(map[string]any)
			if !ok {
				bad("%s[%d] is not an object", list, i)
				continue
			}
			for _, k := range []string{"namespace", "name"} {
				if s, ok := dm[k].(string); !ok || s == "" {
					bad("%s[%d].%s %v is not a non-empty string", list, i, k, dm[k])
				}
			}
			checkFacets(fmt.Sprintf("%s[%d]", list, i), dm["facets"])
		}
	}
	return probs
}

func TestCheckRunEventCatchesMistakes(t *testing.T) {
	good := `{"eventType":"START","eventTime":"2025-03-01T02:00:00.000Z","run":{"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"},
		"job":{"namespace":"pipe","name":"p.train.model"},"inputs":[{"namespace":"file","name":"/d/a.csv"}],"outputs":[],
		"producer":"https://github.com/pipe-ml/pipe","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}`
	if p := checkRunEvent([]byte(good)); len(p) != 0 {
		t.Fatalf("a good event: %v", p)
	}
	for _, c := range []struct{ old, new string }{
		{`"START"`, `"BEGIN"`},
		{`2025-03-01T02:00:00.000Z`, `yesterday`},
		{`2ed6657d-e927-568b-95e1-2665a8aea6a2`, `42`},
		{`"namespace":"pipe",`, ``},
		{`"producer":"https://github.com/pipe-ml/pipe"`, `"producer":"pipe"`},
		{`"name":"/d/a.csv"`, `"name":""`},
		{`"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}`, `"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2","facets":{"x":{"_producer":"p"}}}`},
	} {
		broken := strings.Replace(good, c.old, c.new, 1)
		if p := checkRunEvent([]byte(broken)); len(p) == 0 {
			t.Errorf("replacing %s by %s went unnoticed", c.old, c.new)
		}
	}
}

// Each of pipe's facets names a schema that is in schemas/, with the
// definition the URL points at.
func TestFacetSchemasExist(t *testing.T) {
	for _, u := range []string{
		pipeSchemaURL("PipeParametersRunFacet.json", "PipeParametersRunFacet"),
		pipeSchemaURL("PipeMetricsRunFacet.json", "PipeMetricsRunFacet"),
		pipeSchemaURL("PipeExecutionRunFacet.json", "PipeExecutionRunFacet"),
		pipeSchemaURL("PipeRunFacet.json", "PipeRunFacet"),
		pipeSchemaURL("PipeArtifactDatasetFacet.json", "PipeArtifactDatasetFacet"),
	} {
		file, def, _ := strings.Cut(strings.TrimPrefix(u, pipeSchemaURLBase), "#/$defs/")
		b, err := os.ReadFile(filepath.Join("schemas", file))
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		var doc struct {
			ID   string                     `json:"$id"`
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.Defs[def] == nil || doc.ID != pipeSchemaURLBase+file {
			t.Errorf("%s: %v, $id %q, defs %v", file, err, doc.ID, doc.Defs)
		}
	}
}

func TestUUIDs(t *testing.T) {
	// RFC 9562's example: www.example.com in the DNS namespace.
	if got := nameUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("nameUUID = %s", got)
	}
	a, b := newUUID(), newUUID()
	if a == b || !uuidRE.MatchString(a) || a[14] != '4' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("newUUID gave %s and %s", a, b)
	}
}
