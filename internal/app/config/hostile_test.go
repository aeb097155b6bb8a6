package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Configuration findings of the probe of serve, each replayed.
func TestConfigurationHolesAreClosed(t *testing.T) {
	runConfigCases(t, []configCase{
		{"interval 0s", "data_dir: data", "data_dir: data\ninterval: 0s", "want a positive duration", 3},
		{"a scrape URL serve refuses", `"http://127.0.0.1:8000/metrics"`, `"127.0.0.1:8000/metrics"`, "want an http(s) URL", 5},
		{"remote write without a token", "metrics:\n", "metrics:\n  remote_write_receiver: true\n", "writes are authenticated", 4},
		{"a query timeout over the HTTP one", "data_dir: data", "data_dir: data\nlimits: {query_timeout: 5m}", "less than the HTTP timeout", 3},
		{"a negative limit", "data_dir: data", "data_dir: data\nlimits: {max_series: -1}", "positive", 3},
		{"a size that is not one", "data_dir: data", "data_dir: data\nlimits: {log_buffer_bytes: lots}", "64MiB", 3},
		{"a relative allowed dir", "data_dir: data", "data_dir: data\nallowed_dirs: [secrets]", "absolute", 3},
	})
}

func TestSizesReadWithUnits(t *testing.T) {
	c, err := ParseConfig([]byte(strings.Replace(baseConfig, "data_dir: data", "data_dir: data\nlimits: {log_buffer_bytes: 8MiB, span_buffer_bytes: 1000000}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.LogBufferBytes != 8<<20 || c.Limits.SpanBufferBytes != 1_000_000 || c.Limits.MaxSeries != 300_000 {
		t.Errorf("limits %+v", c.Limits)
	}
}

// A file the configuration names is read only inside its directory or allowed_dirs, a missing one
// is reported at its line, and no error quotes what a file holds: `profile: /etc/shadow` used to
// be read and its lines printed.
func TestNamedFilesAreConfinedAndNeverQuoted(t *testing.T) {
	root := t.TempDir()
	dir, outside := filepath.Join(root, "conf"), filepath.Join(root, "secrets")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(outside, 0o755)
	secret := "root:$6$S3CR3T-HASH:19000:0:99999:7:::"
	os.WriteFile(filepath.Join(outside, "shadow"), []byte(secret+"\ndaemon:*:19000:0:99999:7:::\n"), 0o600)
	cfg := filepath.Join(dir, "headroom.yaml")
	load := func(config string) error {
		if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(cfg)
		return err
	}
	shadow := filepath.Join(outside, "shadow")
	// Outside the directory: refused before it is opened, by absolute path, by .. and by a link.
	os.Symlink(shadow, filepath.Join(dir, "link.yaml"))
	for _, p := range []string{shadow, "../secrets/shadow", "link.yaml"} {
		err := load(strings.Replace(baseConfig, "profile: p.yaml", "profile: "+p, 1))
		if err == nil || !strings.Contains(err.Error(), "outside the configuration's directory") || !strings.Contains(err.Error(), "line 10") {
			t.Errorf("profile %s: %v", p, err)
		}
	}
	// Allowed, but not a profile: the error says where, never what.
	err := load(strings.Replace(baseConfig, "data_dir: data", "data_dir: data\nallowed_dirs: ["+outside+"]", 1))
	if err == nil {
		t.Fatal("a missing profile was accepted")
	}
	err = load(strings.Replace(strings.Replace(baseConfig, "data_dir: data", "data_dir: data\nallowed_dirs: ["+outside+"]", 1), "profile: p.yaml", "profile: "+shadow, 1))
	if err == nil || strings.Contains(err.Error(), "S3CR3T") || strings.Contains(err.Error(), "root") || strings.Contains(err.Error(), "daemon") {
		t.Errorf("the error quotes the file: %v", err)
	}
	// Missing files are reported at the line of the field that names them.
	for _, tc := range []struct{ config, want string }{
		{strings.Replace(baseConfig, "profile: p.yaml", "profile: nope.yaml", 1), "line 10: services[0].profile"},
		{strings.Replace(baseConfig, "data_dir: data", "data_dir: data\napi: {token_file: missing-token}", 1), "line 3: api.token_file"},
	} {
		os.WriteFile(filepath.Join(dir, "p.yaml"), []byte("alpha: 7\nbeta: 0.03\ngamma: 2\ndelta: 0.03\nmax_batch: 64\nin_tokens: 256\nout_tokens: 128\n"), 0o644)
		if err := load(tc.config); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "no such file") {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}
