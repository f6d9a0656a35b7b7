//go:build !unix

package config

import "os"

// openFlags: systems without FIFOs in the file system open plainly.
const openFlags = os.O_RDONLY
