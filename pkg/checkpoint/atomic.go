package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// tempPattern names the temporary files earlier versions wrote next to the checkpoint
// (temp file + rename). They are hidden and carry the checkpoint's name so that Open can
// recognise (and only remove) such leftovers.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + ".tmp-*"
}

// removeStaleTempFiles deletes temp files a crash of an earlier version left between create
// and rename. They never held state anyone relies on.
func removeStaleTempFiles(path string) error {
	stale, err := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(path)))
	if err != nil {
		return fmt.Errorf("listing stale checkpoint temp files: %w", err)
	}
	var errs []error
	for _, name := range stale {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing stale checkpoint temp file: %w", err))
		}
	}
	return errors.Join(errs...)
}
