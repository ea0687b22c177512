package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// tempPattern names temporary files next to the checkpoint. They are hidden and carry the
// checkpoint's name so that Open can recognise (and only remove) its own leftovers.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + ".tmp-*"
}

// writeAtomic replaces path with data so that after a crash at any point the file holds
// either the old or the new content, never a mix:
//   - the temp file is in the same directory, because rename is only atomic within one
//     filesystem;
//   - it is fsynced before the rename, or a crash could leave the new name pointing at
//     data that never reached the disk (ext4/xfs delayed allocation);
//   - the directory is fsynced after the rename, or the rename itself may be lost and the
//     old content come back after a power loss.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if renamed {
			return
		}
		if rmErr := os.Remove(tmpName); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("removing temporary file: %w", rmErr))
		}
	}()

	if err := writeAndSync(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// writeAndSync writes data to f, flushes it to disk and closes f.
func writeAndSync(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("fsync %s: %w", f.Name(), err), f.Close())
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		return errors.Join(fmt.Errorf("fsync directory %s: %w", dir, err), d.Close())
	}
	return d.Close()
}

// removeStaleTempFiles deletes temp files a crash left between create and rename. They
// never hold state anyone relies on: until the rename, the checkpoint itself is the truth.
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
