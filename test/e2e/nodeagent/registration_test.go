package nodeagent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
)

func newTestRegistry(t *testing.T) (Config, *pluginRegistry) {
	t.Helper()
	cfg := testDirs(t, fake.NewClientset(testClaim("nic", "uid-nic", nil, testDriver)), record.NewFakeRecorder(1))
	if err := os.MkdirAll(cfg.RegistrarDir, 0o750); err != nil {
		t.Fatal(err)
	}
	return cfg, newPluginRegistry(cfg.RegistrarDir, cfg.DriverName)
}

func TestPluginRegistry_ReregistersAPluginThatRestarted(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	cfg, reg := newTestRegistry(t)
	log := &journal{}
	nic := []claimRef{{Namespace: testNamespace, Name: "nic", UID: "uid-nic"}}
	prepareThroughRegistry := func() error {
		client, err := reg.client(testDriver)
		if err != nil {
			return err
		}
		return prepareClaims(ctx, client, nic)
	}

	_, first := startFakeDriver(t, ctx, cfg, testDriver, "first", log)
	reg.reconcile(ctx)
	if status := first.RegistrationStatus(); status == nil || !status.PluginRegistered {
		t.Fatalf("registration status seen by the plugin = %v, want registered", status)
	}
	if err := prepareThroughRegistry(); err != nil {
		t.Fatal(err)
	}

	first.Stop()
	reg.reconcile(ctx)
	err := prepareThroughRegistry()
	if err == nil || err.Error() != "DRA driver netclaim.dev is not registered" {
		t.Errorf("prepare while the plugin is down: %v, want kubelet's not-registered error", err)
	}

	_, second := startFakeDriver(t, ctx, cfg, testDriver, "second", log)
	reg.reconcile(ctx)
	if status := second.RegistrationStatus(); status == nil || !status.PluginRegistered {
		t.Fatalf("registration status seen by the restarted plugin = %v, want registered", status)
	}
	if err := prepareThroughRegistry(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"first: prepare default/nic", "second: prepare default/nic"}, log.take()); diff != "" {
		t.Errorf("prepare calls (-want +got):\n%s", diff)
	}
}

func TestPluginRegistry_RejectsAnotherDriverAndTellsIt(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	cfg, reg := newTestRegistry(t)
	_, other := startFakeDriver(t, ctx, cfg, "gpu.example.com", "other", &journal{})

	reg.reconcile(ctx)

	status := other.RegistrationStatus()
	if status == nil || status.PluginRegistered || !strings.Contains(status.Error, `"gpu.example.com" is not served`) {
		t.Errorf("registration status seen by the plugin = %v, want rejected with a reason naming it", status)
	}
	if _, err := reg.client("gpu.example.com"); err == nil {
		t.Errorf("a rejected driver got a client")
	}
}

func TestPluginRegistry_AcceptsRelativeDirectories(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	cfg, _ := newTestRegistry(t)
	t.Chdir(filepath.Dir(cfg.RegistrarDir))
	cfg.RegistrarDir, cfg.PluginsDir = filepath.Base(cfg.RegistrarDir), filepath.Base(cfg.PluginsDir)
	reg := newPluginRegistry(cfg.RegistrarDir, cfg.DriverName)
	log := &journal{}
	startFakeDriver(t, ctx, cfg, testDriver, "driver", log)

	reg.reconcile(ctx)
	client, err := reg.client(testDriver)
	if err != nil {
		t.Fatal(err)
	}
	if err := prepareClaims(ctx, client, []claimRef{{Namespace: testNamespace, Name: "nic", UID: "uid-nic"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"driver: prepare default/nic"}, log.take()); diff != "" {
		t.Errorf("prepare calls (-want +got):\n%s", diff)
	}
}
