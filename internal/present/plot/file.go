package plot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeFile writes to a temporary file beside path and renames it, so that a failed render never
// leaves half a picture behind.
func writeFile(path string, w io.WriterTo) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".headroom-plot-*")
	if err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(tmp.Name()))
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write plot: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	// CreateTemp makes the file private (0600); a picture is for sharing, as any file the user
	// writes with a shell redirect would be.
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}
