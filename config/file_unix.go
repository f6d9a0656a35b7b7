//go:build unix

package config

import (
	"os"
	"syscall"
)

// openFlags open without blocking: a FIFO with no writer opens at once (and
// is then rejected as not a regular file) instead of waiting for one.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
