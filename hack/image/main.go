// image builds a single-layer container image on scratch from files on disk and writes it
// as a docker-archive tarball (for `ctr -n k8s.io images import` or `docker load`) and/or
// an OCI layout. No Docker daemon, registry or root is needed, and the same inputs give
// the same image digest. It prints the image's manifest digest on stdout, and the image ID
// (config digest) on stderr.
//
//	image --tag ghcr.io/netclaim/netclaim:v0.1.0 --out bin/netclaim-image.tar \
//	  --entrypoint /netclaim-plugin --file bin/netclaim-plugin:/netclaim-plugin:0755
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netclaim/netclaim/hack/image/imagebuild"
)

type options struct {
	tags       []string
	out        string
	ociLayout  string
	files      []string
	dirs       []string
	symlinks   []string
	entrypoint []string
	cmd        []string
	env        []string
	labels     []string
	user       string
	workdir    string
	arch       string
	created    string
}

func main() {
	var o options
	cmd := &cobra.Command{
		Use:           "image --tag REF --out FILE.tar [--file SRC:DST[:MODE]]... [--dir SRC:DST]... [--symlink PATH:TARGET]...",
		Short:         "build a reproducible single-layer scratch image without Docker",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.tags, "tag", nil, "image reference REGISTRY/REPO:TAG (repeatable: one image, several names)")
	f.StringVar(&o.out, "out", "", "write a docker-archive tarball here")
	f.StringVar(&o.ociLayout, "oci-layout", "", "also (or instead) add the image to this OCI layout directory")
	f.StringArrayVar(&o.files, "file", nil, "SRC:DST[:MODE] copy host file SRC to DST in the image; MODE octal, default SRC's")
	f.StringArrayVar(&o.dirs, "dir", nil, "SRC:DST copy the host directory tree SRC to DST in the image")
	f.StringArrayVar(&o.symlinks, "symlink", nil, "PATH:TARGET make PATH in the image a symlink to TARGET")
	f.StringArrayVar(&o.entrypoint, "entrypoint", nil, "entrypoint, one argv word per flag (repeatable)")
	f.StringArrayVar(&o.cmd, "cmd", nil, "default arguments, one argv word per flag (repeatable)")
	f.StringArrayVar(&o.env, "env", nil, "KEY=VALUE image environment (repeatable); PATH defaults to the usual list")
	f.StringArrayVar(&o.labels, "label", nil, "KEY=VALUE image label (repeatable)")
	f.StringVar(&o.user, "user", "0", "user the entrypoint runs as")
	f.StringVar(&o.workdir, "workdir", "/", "working directory")
	f.StringVar(&o.arch, "arch", "amd64", "image architecture (must match the binaries given)")
	f.StringVar(&o.created, "created", "", "creation time, RFC 3339 (default: $SOURCE_DATE_EPOCH, else the Unix epoch)")

	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(cmd *cobra.Command, o options) error {
	if o.out == "" && o.ociLayout == "" {
		return fmt.Errorf("nothing to write: give --out FILE.tar and/or --oci-layout DIR")
	}
	spec, err := o.spec()
	if err != nil {
		return err
	}
	img, err := imagebuild.Build(spec)
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := imagebuild.WriteDockerArchive(o.out, img, o.tags...); err != nil {
			return err
		}
	}
	if o.ociLayout != "" {
		if err := imagebuild.WriteOCILayout(o.ociLayout, img, o.tags...); err != nil {
			return err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("computing the image digest: %w", err)
	}
	id, err := img.ConfigName()
	if err != nil {
		return fmt.Errorf("computing the image ID: %w", err)
	}
	// A docker archive carries no manifest: importers (ctr, docker load) write their own,
	// so they list another digest. The image ID (config digest) is the same everywhere.
	fmt.Fprintf(cmd.ErrOrStderr(), "image %s: manifest digest %s, image ID %s\n", strings.Join(o.tags, ", "), digest, id)
	fmt.Fprintln(cmd.OutOrStdout(), digest)
	return nil
}

func (o options) spec() (imagebuild.Spec, error) {
	spec := imagebuild.Spec{
		Entrypoint:   o.entrypoint,
		Cmd:          o.cmd,
		User:         o.user,
		WorkingDir:   o.workdir,
		Architecture: o.arch,
	}
	for _, s := range o.files {
		f, err := parseFile(s)
		if err != nil {
			return spec, err
		}
		spec.Files = append(spec.Files, f)
	}
	for _, s := range o.dirs {
		src, dst, ok := strings.Cut(s, ":")
		if !ok || src == "" || dst == "" {
			return spec, fmt.Errorf("--dir %q: want SRC:DST", s)
		}
		spec.Dirs = append(spec.Dirs, imagebuild.Dir{Source: src, Target: dst})
	}
	for _, s := range o.symlinks {
		p, target, ok := strings.Cut(s, ":")
		if !ok || p == "" || target == "" {
			return spec, fmt.Errorf("--symlink %q: want PATH:TARGET", s)
		}
		spec.Symlinks = append(spec.Symlinks, imagebuild.Symlink{Path: p, Target: target})
	}
	env, err := environment(o.env)
	if err != nil {
		return spec, err
	}
	spec.Env = env
	if spec.Labels, err = keyValues("--label", o.labels); err != nil {
		return spec, err
	}
	if spec.Created, err = creationTime(o.created); err != nil {
		return spec, err
	}
	return spec, nil
}

// parseFile reads SRC:DST[:MODE].
func parseFile(s string) (imagebuild.File, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return imagebuild.File{}, fmt.Errorf("--file %q: want SRC:DST[:MODE]", s)
	}
	f := imagebuild.File{Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		mode, err := strconv.ParseUint(parts[2], 8, 32)
		if err != nil || mode == 0 || mode > 0o7777 {
			return f, fmt.Errorf("--file %q: MODE %q must be octal permission bits such as 0755", s, parts[2])
		}
		f.Mode = os.FileMode(mode)
	}
	return f, nil
}

// environment keeps the given order and adds the default PATH unless one is given.
func environment(given []string) ([]string, error) {
	hasPath := false
	for _, kv := range given {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
		hasPath = hasPath || k == "PATH"
	}
	if hasPath {
		return given, nil
	}
	return append([]string{imagebuild.DefaultPath}, given...), nil
}

func keyValues(flagName string, given []string) (map[string]string, error) {
	if len(given) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(given))
	for _, kv := range given {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flagName, kv)
		}
		m[k] = v
	}
	return m, nil
}

// creationTime follows the reproducible-builds convention: an explicit time, else
// SOURCE_DATE_EPOCH, else the epoch; never the wall clock, which would change the digest.
func creationTime(flagValue string) (time.Time, error) {
	if flagValue != "" {
		t, err := time.Parse(time.RFC3339, flagValue)
		if err != nil {
			return t, fmt.Errorf("--created %q: %w", flagValue, err)
		}
		return t, nil
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since the epoch: %w", epoch, err)
		}
		return time.Unix(secs, 0), nil
	}
	return time.Time{}, nil
}
