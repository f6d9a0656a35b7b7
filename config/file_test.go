//go:build unix

package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noHang runs f and fails the test when it does not return within 10s:
// reading a FIFO must never block (this guards against a hang; it is not a
// timing assertion).
func noHang[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("blocked")
		panic("unreachable")
	}
}

// hostileFiles creates the files a configuration must not read: a FIFO
// without a writer, a 100 MB sparse file, a directory, and symbolic links
// to them. /dev/zero is a character device.
func hostileFiles(t *testing.T) (fifo, huge, dir string) {
	t.Helper()
	dir = t.TempDir()
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge = filepath.Join(dir, "huge")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return fifo, huge, dir
}

func TestReadRegularFile(t *testing.T) {
	fifo, huge, dir := hostileFiles(t)
	exact := writeFile(t, dir, "exact", []byte(strings.Repeat("x", 1024)))
	over := writeFile(t, dir, "over", []byte(strings.Repeat("x", 1025)))
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "link-to-exact")
	if err := os.Symlink(exact, good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path  string
		limit int64
		want  string // "" for success
	}{
		{exact, 1024, ""},
		{good, 1024, ""},
		{over, 1024, over + ": 1025 bytes, over the 1 KiB limit"},
		{huge, MaxSecretFileSize, huge + ": 104857600 bytes, over the 64 KiB limit"},
		{huge, MaxConfigFileSize, huge + ": 104857600 bytes, over the 1 MiB limit"},
		{"/dev/zero", MaxConfigFileSize, "/dev/zero: not a regular file (character device)"},
		{fifo, MaxConfigFileSize, fifo + ": not a regular file (named pipe)"},
		{link, MaxConfigFileSize, link + ": not a regular file (named pipe)"},
		{dir, MaxConfigFileSize, dir + ": not a regular file (directory)"},
		{filepath.Join(dir, "nope"), 10, filepath.Join(dir, "nope") + ": no such file or directory"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			err := noHang(t, func() error { _, err := ReadRegularFile(c.path, c.limit); return err })
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.want != "" && (err == nil || err.Error() != c.want):
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	if _, err := ReadRegularFile(filepath.Join(dir, "nope"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(ErrNotExist) = false for %v", err)
	}
	if b, err := ReadRegularFile(exact, 1024); err != nil || len(b) != 1024 {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 1024: "1 KiB", 1000: "1000 bytes", 3 << 20: "3 MiB", 1536: "1536 bytes"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// LoadFile and the credential files go through ReadRegularFile: errors
// name the file and the problem, and nothing blocks.
func TestHostileFiles(t *testing.T) {
	fifo, huge, dir := hostileFiles(t)
	for path, want := range map[string]string{
		"/dev/zero": "config file /dev/zero: not a regular file (character device)",
		fifo:        "config file " + fifo + ": not a regular file (named pipe)",
		huge:        "config file " + huge + ": 104857600 bytes, over the 1 MiB limit",
		dir:         "config file " + dir + ": not a regular file (directory)",
	} {
		err := noHang(t, func() error { _, err := LoadFile(path, testOpts); return err })
		if err == nil || err.Error() != want {
			t.Errorf("LoadFile(%s) = %v, want %q", path, err, want)
		}
	}
	for path, want := range map[string]string{
		"/dev/zero": "/dev/zero: not a regular file (character device)",
		fifo:        fifo + ": not a regular file (named pipe)",
		huge:        huge + ": 104857600 bytes, over the 64 KiB limit",
	} {
		got := noHang(t, func() error {
			_, err := Parse([]byte(doc("credentials: {access_key: A, secret_key_file: '"+path+"'}")), testOpts)
			return err
		})
		checkProblems(t, got, `line 6: target "a" (targets[0]): credentials.secret_key_file `+want)
		// Resolve (used at every reload) reads the same way.
		c := Credentials{AccessKey: "A", SecretKeyFile: path}
		if err := noHang(t, func() error { _, err := c.Resolve(testOpts); return err }); err == nil || err.Error() != "secret_key_file "+want {
			t.Errorf("Resolve: %v, want %q", err, "secret_key_file "+want)
		}
	}
	empty := writeFile(t, dir, "empty", []byte(" \n"))
	_, err := Parse([]byte(doc("credentials: {access_key: A, secret_key_file: "+empty+"}")), testOpts)
	checkProblems(t, err, `line 6: target "a" (targets[0]): credentials.secret_key_file `+empty+`: the file is empty`)
	// Parse itself refuses more than MaxConfigFileSize bytes.
	_, err = Parse(make([]byte, MaxConfigFileSize+1), testOpts)
	checkProblems(t, err, "1048577 bytes, over the 1 MiB limit")
}
