package deploy

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestStrictDecodingRejectsMistakes proves that the strict decoding the
// other tests rely on really fails on the mistakes it is there to catch,
// starting from a real rendered Deployment.
func TestStrictDecodingRejectsMistakes(t *testing.T) {
	docs, err := splitDocuments(mustKustomize(t, repoRoot+"/deploy/overlays/dev"))
	if err != nil {
		t.Fatal(err)
	}
	var deployment map[string]any
	for _, doc := range docs {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		if obj["kind"] == "Deployment" {
			deployment = obj
		}
	}
	if deployment == nil {
		t.Fatal("the dev overlay renders no Deployment")
	}
	asIs, err := yaml.Marshal(deployment)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeStrict(asIs); err != nil {
		t.Fatalf("the unmodified Deployment does not decode: %v", err)
	}

	container := func(obj map[string]any) map[string]any {
		spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		return spec["containers"].([]any)[0].(map[string]any)
	}
	cases := []struct {
		name   string
		break_ func(obj map[string]any)
		strict bool // the error is a strict-decoding error (unknown or duplicate field)
	}{
		{"misspelt probe field", func(obj map[string]any) {
			probe := container(obj)["readinessProbe"].(map[string]any)
			probe["httpGett"] = probe["httpGet"]
			delete(probe, "httpGet")
		}, true},
		{"field at the wrong level", func(obj map[string]any) {
			container(obj)["runAsNonRoot"] = true
		}, true},
		{"unknown top-level spec field", func(obj map[string]any) {
			obj["spec"].(map[string]any)["replica"] = 1
		}, true},
		{"string where a number belongs", func(obj map[string]any) {
			obj["spec"].(map[string]any)["replicas"] = "one"
		}, false},
		{"list where a map belongs", func(obj map[string]any) {
			container(obj)["resources"] = []any{"cpu"}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal(asIs, &obj); err != nil {
				t.Fatal(err)
			}
			tc.break_(obj)
			doc, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			_, err = decodeStrict(doc)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if got := runtime.IsStrictDecodingError(err); got != tc.strict {
				t.Errorf("IsStrictDecodingError = %v, want %v (error: %v)", got, tc.strict, err)
			}
		})
	}

	t.Run("duplicate field", func(t *testing.T) {
		doc := strings.Replace(string(asIs), "replicas: 1\n", "replicas: 1\n  replicas: 2\n", 1)
		if doc == string(asIs) {
			t.Fatal("no replicas line to duplicate")
		}
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Fatal("decoded without error")
		}
	})
}
