package repoconfig

import (
	"fmt"
	"io"
	"os"
)

// Read reads a configuration from r, never more than MaxFileSize+1 bytes:
// a longer stream (a FIFO, /dev/zero) is an *Error saying the file is too
// large, found without holding it in memory.
func Read(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, TooLarge(name, -1)
	}
	return data, nil
}

// ReadFile reads the configuration file at path: a regular file over
// MaxFileSize is refused from its size alone, anything else is read
// through Read.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxFileSize {
		return nil, TooLarge(path, st.Size())
	}
	return Read(path, f)
}
