package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// readOptional reads a sysfs attribute. An attribute that does not exist, or that the kernel
// refuses to report for this device (EINVAL: speed of a down or software link; ENODEV,
// EOPNOTSUPP: not supported by the driver), yields ok=false; any other failure is an error.
func readOptional(path string) (value string, ok bool, err error) {
	b, err := readAttribute(path)
	switch {
	case err == nil:
		return strings.TrimSpace(string(b)), true, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, unix.EINVAL),
		errors.Is(err, unix.ENODEV), errors.Is(err, unix.EOPNOTSUPP):
		return "", false, nil
	default:
		return "", false, &fs.PathError{Op: "read", Path: path, Err: err}
	}
}

// attributeBufferSize covers every attribute discovery reads (the longest, an InfiniBand
// address, is 60 bytes); a larger one falls back to os.ReadFile.
const attributeBufferSize = 512

// readAttribute reads a sysfs attribute with three system calls (open, read, close) where
// os.ReadFile makes five: sysfs hands out a whole attribute in the first read. A node with
// a thousand VFs has a thousand interfaces whose attributes are read on every scan, and
// system calls are what a scan spends its time on.
func readAttribute(path string) ([]byte, error) {
	fd, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	var buf [attributeBufferSize]byte
	n, readErr := readRetryingEINTR(fd, buf[:])
	closeErr := unix.Close(fd)
	if readErr != nil {
		return nil, readErr
	}
	if closeErr != nil {
		return nil, closeErr
	}
	if n == len(buf) {
		return os.ReadFile(path)
	}
	return buf[:n], nil
}

func openReadOnly(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func readRetryingEINTR(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// readOptionalInt is readOptional for decimal attributes.
func readOptionalInt(path string) (value int, ok bool, err error) {
	s, ok, err := readOptional(path)
	if err != nil || !ok {
		return 0, false, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, err
	}
	return v, true, nil
}

// LinkBase is the last element of a sysfs symlink's target (a driver, an IOMMU group, a
// PF), or "" when the link does not exist. pkg/pcibind keeps its own five-line copy
// rather than import discovery.
func LinkBase(path string) (string, error) {
	target, err := os.Readlink(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Base(target), nil
}

// dirNames lists a sysfs folder; a folder that does not exist has no entries.
func dirNames(path string) ([]string, error) {
	entries, err := os.ReadDir(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// nonNegative turns the kernel's "-1 = none" convention (numa_node) into an optional value.
func nonNegative(v int, ok bool) *int {
	if !ok || v < 0 {
		return nil
	}
	return &v
}

// exists says whether a sysfs entry exists.
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
