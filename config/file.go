package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Size limits of the files the configuration reads.
const (
	// MaxConfigFileSize bounds the configuration file.
	MaxConfigFileSize = 1 << 20
	// MaxSecretFileSize bounds a credential file (access_key_file,
	// secret_key_file, security_token_file).
	MaxSecretFileSize = 64 << 10
	// MaxTLSFileSize bounds a file named in tls_config (ca_file, cert_file,
	// key_file).
	MaxTLSFileSize = 1 << 20
)

// ReadRegularFile reads a regular file of at most limit bytes. It never
// blocks on what is not a regular file: the file is opened non-blocking
// (a FIFO without a writer opens at once), the open handle is checked, and
// anything but a regular file (directory, device, FIFO, socket) is
// rejected before a byte is read. The read itself stops after limit+1
// bytes, so a file that grows while it is read is still bounded.
//
// Errors start with the path, e.g. "/dev/zero: not a regular file
// (character device)" or "/x: 104857600 bytes, over the 64 KiB limit", and
// wrap the operating system's error where there is one (errors.Is(err,
// fs.ErrNotExist) works).
func ReadRegularFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, over the %s limit", path, fi.Size(), formatSize(limit))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: grew over the %s limit while being read", path, formatSize(limit))
	}
	return b, nil
}

// fileKind names the type of a file that is not a regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	default:
		return "irregular file"
	}
}

// formatSize writes a limit the way the documentation does: 64 KiB, 1 MiB.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// unwrapPathErr drops the *fs.PathError wrapper (whose text repeats the
// operation and the path) and keeps the underlying error.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
