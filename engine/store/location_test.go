package store

import (
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	base := "/home/me/pipeline"
	cases := []struct {
		raw    string
		want   string // Location.String()
		prefix string
		key    string // KeyURL("objects/x")
	}{
		{".pipe/store", "file:///home/me/pipeline/.pipe/store", "", "file:///home/me/pipeline/.pipe/store/objects/x"},
		{"file://.pipe/store", "file:///home/me/pipeline/.pipe/store", "", ""},
		{"file://../shared/store", "file:///home/me/shared/store", "", ""},
		{"file:///var/lib/pipe/store", "file:///var/lib/pipe/store", "", ""},
		{"/var/lib/pipe/store/", "file:///var/lib/pipe/store", "", ""},
		{"file:///tmp/with%20space", "file:///tmp/with%20space", "", "file:///tmp/with%20space/objects/x"},
		{"gs://models", "gs://models", "", "gs://models/objects/x"},
		{"gs://models/privacy/intent/", "gs://models/privacy/intent", "privacy/intent/", "gs://models/privacy/intent/objects/x"},
		{"gs://models/p?anonymous=true", "gs://models/p", "p/", ""},
		{"s3://bucket/pre?region=eu-west-1", "s3://bucket/pre", "pre/", "s3://bucket/pre/objects/x"},
		{"mem://", "mem://", "", ""},
		{"mem://out/release", "mem://out/release", "release/", ""},
	}
	for _, c := range cases {
		loc, err := ParseLocation(c.raw, base)
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", c.raw, err)
			continue
		}
		if got := loc.String(); got != c.want {
			t.Errorf("ParseLocation(%q).String() = %q, want %q", c.raw, got, c.want)
		}
		if loc.Prefix != c.prefix {
			t.Errorf("ParseLocation(%q).Prefix = %q, want %q", c.raw, loc.Prefix, c.prefix)
		}
		if c.key != "" {
			if got := loc.KeyURL("objects/x"); got != c.key {
				t.Errorf("ParseLocation(%q).KeyURL = %q, want %q", c.raw, got, c.key)
			}
		}
	}
	if loc, _ := ParseLocation("s3://b/p?region=eu-west-1&endpoint=http://minio:9000", base); loc.Query.Get("endpoint") != "http://minio:9000" {
		t.Errorf("s3 query lost: %v", loc.Query)
	}

	for _, c := range []struct{ raw, want string }{
		{"", "empty location"},
		{"ftp://host/x", `unsupported scheme "ftp"`},
		{"gs://", "names no bucket"},
		{"gs:///prefix", "names no bucket"},
		{"gs://b/p?prefix=q", "not as ?prefix="},
		{"file://x?metadata=skip", "take no query parameters"},
		{"mem://x?a=b", "take no query parameters"},
	} {
		_, err := ParseLocation(c.raw, base)
		if err == nil || !strings.HasPrefix(err.Error(), "store: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseLocation(%q) = %v, want an error containing %q", c.raw, err, c.want)
		}
	}
}
