//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileConfigFiles creates files the exporter must refuse to read as its
// configuration: a FIFO without a writer and a 100 MB sparse regular file.
// (/dev/zero, a character device, is the third.)
func hostileConfigFiles(t *testing.T) (fifo, huge string) {
	t.Helper()
	dir := t.TempDir()
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge = filepath.Join(dir, "huge.yml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	return fifo, huge
}

// runCheck runs `workspace_exporter --config.check --config.file=path`
// with extra environment variables. A run that has not finished after 10s
// is killed and fails the test instead of hanging it.
func runCheck(t *testing.T, path string, env ...string) (exitCode int, output string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--config.check", "--config.file="+path)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("--config.check --config.file=%s did not finish; killed after 10s:\n%s", path, out)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("running %s: %v", binary, err)
	return 0, ""
}

// --config.check refuses what is not a small regular file, at once, naming
// the problem; credential files named by a configuration too.
func TestConfigCheckRefusesHostileFiles(t *testing.T) {
	fifo, huge := hostileConfigFiles(t)
	secretOnFIFO := filepath.Join(t.TempDir(), "secret-on-fifo.yml")
	if err := os.WriteFile(secretOnFIFO, []byte("targets:\n  - name: a\n    provider: huaweicloud\n    region: ap-southeast-3\n    project_id: p\n"+
		"    credentials:\n      access_key: A\n      secret_key_file: "+fifo+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"character device", "/dev/zero", "config file /dev/zero: not a regular file (character device)"},
		{"FIFO without a writer", fifo, "config file " + fifo + ": not a regular file (named pipe)"},
		{"100 MB regular file", huge, "config file " + huge + ": 104857600 bytes, over the 1 MiB limit"},
		{"secret file on a FIFO", secretOnFIFO, `line 8: target "a" (targets[0]): credentials.secret_key_file ` + fifo + ": not a regular file (named pipe)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := runCheck(t, c.path)
			if code == 0 || !strings.Contains(out, c.want) {
				t.Errorf("exit code %d, output:\n%s\nwant a non-zero exit and %q", code, out, c.want)
			}
		})
	}
}

// The documented check of the example configuration passes on a fresh
// machine: HW_ACCESS_KEY=dummy HW_SECRET_KEY=dummy go run . --config.check --config.file=config.example.yml
func TestConfigCheckExample(t *testing.T) {
	code, out := runCheck(t, "config.example.yml", "HW_ACCESS_KEY=dummy", "HW_SECRET_KEY=dummy")
	if code != 0 || !strings.Contains(out, "config.example.yml is valid") {
		t.Errorf("exit code %d:\n%s", code, out)
	}
}

// A reload (SIGHUP) that meets a hostile file in place of the
// configuration fails at once and names the problem; the previous
// configuration keeps running.
func TestReloadRefusesHostileFiles(t *testing.T) {
	fifo, huge := hostileConfigFiles(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	// An unreachable endpoint and no retries: the first refresh fails at
	// once, which is all this test needs.
	if err := os.WriteFile(good, []byte(`targets:
  - name: old
    provider: huaweicloud
    region: ap-southeast-3
    project_id: p
    endpoint: http://127.0.0.1:1
    credentials: {access_key: dummy-ak, secret_key: dummy-sk}
    api: {max_retries: 0, timeout: 1s}
    collectors: {desktops: {interval: 1h}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	// The configuration path is a symbolic link, swapped atomically.
	cfgPath := filepath.Join(dir, "config.yml")
	pointAt := func(target string) {
		t.Helper()
		tmp := cfgPath + ".new"
		_ = os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfgPath); err != nil {
			t.Fatal(err)
		}
	}
	pointAt(good)
	e := startExporter(t, nil, "--config.file="+cfgPath)
	gauge := func(name string, labels map[string]string) (float64, int) {
		_, body := e.get(t, "/metrics")
		return sum(parse(t, body), name, labels)
	}
	cases := []struct{ name, path, want string }{
		{"character device", "/dev/zero", "config file " + cfgPath + ": not a regular file (character device)"},
		{"FIFO without a writer", fifo, "config file " + cfgPath + ": not a regular file (named pipe)"},
		{"100 MB regular file", huge, "config file " + cfgPath + ": 104857600 bytes, over the 1 MiB limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pointAt(c.path)
			if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return strings.Contains(e.logs.String(), c.want) })
			if v, n := gauge("workspace_config_last_reload_successful", nil); n != 1 || v != 0 {
				t.Errorf("workspace_config_last_reload_successful = %v (%d series), want 0", v, n)
			}
			if _, n := gauge("workspace_target_info", map[string]string{"target": "old"}); n != 1 {
				t.Errorf("workspace_target_info{target=\"old\"}: %d series, want the old configuration still running", n)
			}
			// Back to the good file, so the next case starts from a success.
			pointAt(good)
			if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { v, _ := gauge("workspace_config_last_reload_successful", nil); return v == 1 })
		})
	}
}
