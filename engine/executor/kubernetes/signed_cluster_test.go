package kubernetes_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
	"github.com/pipe-ml/pipe/engine/signing"
)

// TestClusterSignedEntries: a coordinator with a team key gives each Job
// the key's Secret (pipe-key); the workers sign the cache entries they
// write with it, the coordinator trusts them (a second apply is cached
// and creates no Job), and a coordinator with another key trusts none of
// them: each is a warning and a miss.
func TestClusterSignedEntries(t *testing.T) {
	r := newRemote(t, "remote", 400)
	team, other := strings.Repeat("a1", 20), strings.Repeat("b2", 20)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: kubernetes.DefaultKeySecret},
		StringData: map[string]string{kubernetes.KeyFile: team + "\n"},
	}
	if _, err := r.c.Client.CoreV1().Secrets(r.ns).Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "pipe.key")
	if err := os.WriteFile(keyFile, []byte(team+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := signing.New([]byte(team), "test", true)
	if err != nil {
		t.Fatal(err)
	}
	base := r.env
	r.env = append(base[:len(base):len(base)], signing.EnvKeyFile+"="+keyFile)

	first := r.mustApply(t, "signed", "signed", executor.KubernetesName)
	for _, step := range remoteSteps {
		if e := ends(t, first.Stdout)[step]; e.Status != "ran" {
			t.Errorf("%s: %s, want ran on the cluster", step, e.Status)
		}
		if !mountsKey(r.job(t, step).Spec.Template.Spec) {
			t.Errorf("%s's Job does not mount the Secret %s", step, kubernetes.DefaultKeySecret)
		}
	}
	entries := r.objects(t, "signed/cache/")
	if len(entries) < len(remoteSteps) {
		t.Fatalf("%d cache entries in the store: %v", len(entries), entries)
	}
	for _, name := range entries {
		var env struct {
			Signature string `json:"signature"`
		}
		if err := json.Unmarshal(r.object(t, name), &env); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(env.Signature, ":"+key.ID()+":") {
			t.Errorf("%s is not signed with the team key (%s): %q", name, key.ID(), env.Signature)
		}
	}

	jobs := r.jobs(t)
	again := r.mustApply(t, "signed", "signed-again", executor.KubernetesName)
	for step, e := range ends(t, again.Stdout) {
		if e.Status != "cached" {
			t.Errorf("with the same key: %s %s, want cached (the workers' entries trusted)", step, e.Status)
		}
	}
	if after := r.jobs(t); !mapsEqual(jobs, after) {
		t.Errorf("the second apply changed the Jobs: %v, then %v", jobs, after)
	}

	r.env = append(base[:len(base):len(base)], signing.EnvKey+"="+other)
	forged := r.mustApply(t, "signed", "other-key", executor.LocalName)
	for _, step := range remoteSteps {
		if e := ends(t, forged.Stdout)[step]; e.Status != "ran" {
			t.Errorf("with another key: %s %s, want ran (its entry is not trusted)", step, e.Status)
		}
	}
	if out := forged.Stdout + forged.Stderr; !strings.Contains(out, "Untrusted cache entry") || !strings.Contains(out, "signed with another key") {
		t.Errorf("with another key, no warning names the untrusted entries:\n%s", lastLines(out, 40))
	}
}

// mountsKey reports whether a pod spec mounts the team key's Secret and
// names it in PIPE_KEY_FILE.
func mountsKey(spec corev1.PodSpec) bool {
	secret := false
	for _, v := range spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == kubernetes.DefaultKeySecret {
			secret = true
		}
	}
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if e.Name == signing.EnvKeyFile && e.Value == kubernetes.KeyMount+"/"+kubernetes.KeyFile {
				return secret
			}
		}
	}
	return false
}
