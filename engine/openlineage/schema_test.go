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
			for _, p := range checkFacet(name, fm) {
				bad("%s.facets.%s: %s", where, name, p)
			}
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

// standardFacets are the OpenLineage facets pipe sends, by the name they
// go under: the definition their _schemaURL must point at, and the
// properties that definition requires, as JSON paths with their types.
var standardFacets = map[string]struct {
	def      string
	required map[string]string
}{
	"parent":       {"ParentRunFacet", map[string]string{"run.runId": "uuid", "job.namespace": "string", "job.name": "string"}},
	"errorMessage": {"ErrorMessageRunFacet", map[string]string{"message": "string", "programmingLanguage": "string"}},
	"jobType":      {"JobTypeJobFacet", map[string]string{"processingType": "string", "integration": "string"}},
	"version":      {"DatasetVersionDatasetFacet", map[string]string{"datasetVersion": "string"}},
}

// checkFacet checks one facet against its definition: a standard facet
// against the properties its OpenLineage schema requires, one of pipe's
// against the schema in schemas/ its _schemaURL names (required
// properties, and the JSON type of every property it declares).
func checkFacet(name string, f map[string]any) []string {
	var probs []string
	url, _ := f["_schemaURL"].(string)
	if std, ok := standardFacets[name]; ok {
		if !strings.HasPrefix(url, "https://openlineage.io/spec/facets/") || !strings.HasSuffix(url, "#/$defs/"+std.def) {
			probs = append(probs, fmt.Sprintf("_schemaURL %q is not OpenLineage's %s", url, std.def))
		}
		for path, typ := range std.required {
			var v any = f
			for _, k := range strings.Split(path, ".") {
				m, _ := v.(map[string]any)
				v = m[k]
			}
			switch s, ok := v.(string); {
			case !ok || s == "":
				probs = append(probs, fmt.Sprintf("required %s is not a non-empty string", path))
			case typ == "uuid" && !uuidRE.MatchString(s):
				probs = append(probs, fmt.Sprintf("%s %q is not a uuid", path, s))
			}
		}
		return probs
	}
	file, def, ok := strings.Cut(strings.TrimPrefix(url, pipeSchemaURLBase), "#/$defs/")
	if !strings.HasPrefix(url, pipeSchemaURLBase) || !ok {
		return []string{fmt.Sprintf("_schemaURL %q is neither an OpenLineage facet pipe knows nor one of pipe's", url)}
	}
	b, err := os.ReadFile(filepath.Join("schemas", file))
	if err != nil {
		return []string{err.Error()}
	}
	var doc struct {
		Defs map[string]struct {
			AllOf []struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"allOf"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return []string{file + ": " + err.Error()}
	}
	d, ok := doc.Defs[def]
	if !ok {
		return []string{fmt.Sprintf("%s has no definition %s", file, def)}
	}
	for _, part := range d.AllOf {
		for _, req := range part.Required {
			if _, ok := f[req]; !ok {
				probs = append(probs, "required "+req+" is missing")
			}
		}
		for prop, p := range part.Properties {
			v, ok := f[prop]
			if !ok || v == nil {
				continue
			}
			if got := jsonType(v); got != p.Type && !(p.Type == "number" && got == "integer") && p.Type != "" {
				probs = append(probs, fmt.Sprintf("%s is a JSON %s, the schema says %s", prop, got, p.Type))
			}
		}
	}
	return probs
}

func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
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
		// Facets: a parent without its job, an error without its message,
		// one of pipe's facets without a required property or with a
		// property of the wrong type.
		{`"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}`, `"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2","facets":{"parent":{"_producer":"https://p","_schemaURL":"` + parentSchemaURL + `","run":{"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}}}}`},
		{`"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}`, `"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2","facets":{"errorMessage":{"_producer":"https://p","_schemaURL":"` + errorSchemaURL + `","programmingLanguage":"go"}}}`},
		{`"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}`, `"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2","facets":{"pipe_execution":{"_producer":"https://p","_schemaURL":"` + pipeSchemaURL("PipeExecutionRunFacet.json", "PipeExecutionRunFacet") + `","step":"a.b","kind":"a"}}}`},
		{`"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2"}`, `"runId":"2ed6657d-e927-568b-95e1-2665a8aea6a2","facets":{"pipe_execution":{"_producer":"https://p","_schemaURL":"` + pipeSchemaURL("PipeExecutionRunFacet.json", "PipeExecutionRunFacet") + `","step":"a.b","kind":"a","status":"ran","executionId":"7"}}}`},
		{`"name":"/d/a.csv"}`, `"name":"/d/a.csv","facets":{"version":{"_producer":"https://p","_schemaURL":"` + versionSchemaURL + `"}}}`},
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
