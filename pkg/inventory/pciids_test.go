package inventory

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/inventory/pciids"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("8086  Intel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolvePCIIDs_PrefersHostRootThenThisMachineThenEmbedded(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the embedded file is written
	machine := t.TempDir()          // stands in for this machine's /
	machineHwdata := filepath.Join(machine, "usr/share/hwdata/pci.ids")
	machineMisc := filepath.Join(machine, "usr/share/misc/pci.ids")

	tests := []struct {
		name    string
		present []string // relative to the host root, or absolute for this machine
		want    string   // relative to the host root, absolute, or "embedded"
	}{
		{name: "host root hwdata first", present: []string{"usr/share/hwdata/pci.ids", "usr/share/misc/pci.ids", machineHwdata}, want: "usr/share/hwdata/pci.ids"},
		{name: "host root misc next", present: []string{"usr/share/misc/pci.ids", machineHwdata}, want: "usr/share/misc/pci.ids"},
		{name: "then this machine's hwdata", present: []string{machineHwdata, machineMisc}, want: machineHwdata},
		{name: "then this machine's misc", present: []string{machineMisc}, want: machineMisc},
		{name: "nothing anywhere: the embedded file", want: "embedded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostRoot := t.TempDir()
			for _, p := range []string{machineHwdata, machineMisc} {
				if err := os.RemoveAll(p); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range tt.present {
				if !filepath.IsAbs(p) {
					p = filepath.Join(hostRoot, p)
				}
				touch(t, p)
			}
			got, err := resolvePCIIDs(hostRoot, machine)
			if err != nil {
				t.Fatalf("resolvePCIIDs: %v", err)
			}
			if tt.want == "embedded" {
				content, err := os.ReadFile(got)
				if err != nil {
					t.Fatalf("reading %s: %v", got, err)
				}
				if !bytes.Equal(content, pciids.Minimal) {
					t.Fatalf("%s does not hold the embedded pci.ids", got)
				}
				if info, err := os.Stat(got); err != nil || info.Mode().Perm() != 0o644 {
					t.Fatalf("%s: mode %v (%v), want 0644 so that runs as other users can reuse it", got, info.Mode(), err)
				}
				return
			}
			want := tt.want
			if !filepath.IsAbs(want) {
				want = filepath.Join(hostRoot, want)
			}
			if got != want {
				t.Fatalf("resolvePCIIDs = %s, want %s", got, want)
			}
		})
	}
}

func TestDiscover_WorksWithoutAnyPCIIDsFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the embedded file is written
	h := mixedHost()
	h.OmitPCIIDs = true
	root := writeHost(t, h)
	saved := machineRoot
	machineRoot = t.TempDir() // this machine has none either
	t.Cleanup(func() { machineRoot = saved })

	got, err := Discover(context.Background(), Options{HostRoot: root})
	if err != nil {
		t.Fatalf("Discover without pci.ids: %v", err)
	}
	if len(got) != len(mixedHostDevices()) {
		t.Fatalf("Discover found %d devices, want %d", len(got), len(mixedHostDevices()))
	}
	if _, set := os.LookupEnv(pcidbPathEnv); set {
		t.Fatalf("%s is still set after Discover; it must only be set during the ghw call", pcidbPathEnv)
	}
}

func TestWithPCIIDs_LeavesACallersChoiceAlone(t *testing.T) {
	t.Setenv(pcidbPathEnv, "/callers/own/pci.ids")
	var seen string
	if err := withPCIIDs(t.TempDir(), func() error { seen = os.Getenv(pcidbPathEnv); return nil }); err != nil {
		t.Fatal(err)
	}
	if seen != "/callers/own/pci.ids" {
		t.Fatalf("ghw saw %s=%q, want the caller's value", pcidbPathEnv, seen)
	}
	if got := os.Getenv(pcidbPathEnv); got != "/callers/own/pci.ids" {
		t.Fatalf("%s = %q after the call, want the caller's value kept", pcidbPathEnv, got)
	}
}

func TestWithPCIIDs_PointsGHWAtTheHostRootsFileAndRestores(t *testing.T) {
	root := t.TempDir()
	if err := fakesys.NewHost().Write(root); err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := withPCIIDs(root, func() error { seen = os.Getenv(pcidbPathEnv); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "usr/share/hwdata/pci.ids"); seen != want {
		t.Fatalf("ghw saw %s=%q, want %q", pcidbPathEnv, seen, want)
	}
	if _, set := os.LookupEnv(pcidbPathEnv); set {
		t.Fatalf("%s is still set after the call", pcidbPathEnv)
	}
}
