package imagebuild

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// parseTags checks every reference up front so a typo fails before anything is written.
func parseTags(tags []string) ([]name.Tag, error) {
	if len(tags) == 0 {
		return nil, errors.New("at least one tag is needed (e.g. ghcr.io/netclaim/netclaim:v0.1.0)")
	}
	parsed := make([]name.Tag, 0, len(tags))
	for _, t := range tags {
		// StrictValidation: no implicit ":latest", the tag written is the tag asked for.
		tag, err := name.NewTag(t, name.StrictValidation)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w (write REGISTRY/REPOSITORY:TAG)", t, err)
		}
		parsed = append(parsed, tag)
	}
	return parsed, nil
}

// WriteDockerArchive writes img under every tag as a docker-archive tarball (the
// `docker save` format, which `ctr -n k8s.io images import` reads). The file is written
// next to path and renamed into place, so a failed build never leaves a half tarball.
func WriteDockerArchive(path string, img v1.Image, tags ...string) (err error) {
	parsed, err := parseTags(tags)
	if err != nil {
		return err
	}
	refs := make(map[name.Reference]v1.Image, len(parsed))
	for _, t := range parsed {
		refs[t] = img
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing image archive: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(tmp.Name()))
		}
	}()
	if err := tarball.MultiRefWrite(refs, tmp); err != nil {
		return errors.Join(fmt.Errorf("writing image archive %s: %w", path, err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing image archive %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing image archive %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing image archive %s: %w", path, err)
	}
	return nil
}

// WriteOCILayout writes img into an OCI image layout directory (created if missing; an
// existing layout gets the image added), annotated with each tag as its ref name, for
// tools such as skopeo or `ctr images import --oci` style importers.
func WriteOCILayout(dir string, img v1.Image, tags ...string) error {
	parsed, err := parseTags(tags)
	if err != nil {
		return err
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
	}
	for _, t := range parsed {
		err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": t.String(),
		}))
		if err != nil {
			return fmt.Errorf("adding %s to OCI layout %s: %w", t, dir, err)
		}
	}
	return nil
}
