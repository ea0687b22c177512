package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// BenchmarkPluginRSS starts the real netclaim-plugin binary against an API server of its
// own, with the dense synthetic host (1,027 devices: 1,024 VFs and 3 NICs) as its
// --host-root, waits until all devices are published, then lets it idle for -rss-idle,
// rescanning every -rss-rescan, and samples its resident set size (VmRSS, which includes
// the Go runtime's unreturned heap) twice a second. It also watches the node's
// ResourceSlices during the idle window: an idle plugin must not write them.
//
// No kubelet or container runtime runs: the plugin's registration and DRA sockets wait for
// a kubelet that never comes, and its NRI client retries the missing runtime socket every
// second. That is the idle state of a plugin on a node without pods. It ignores b.N; run
// it with -test.benchtime=1x.
func BenchmarkPluginRSS(b *testing.B) {
	if *controlPlaneDir == "" || *pluginBinary == "" {
		b.Fatal("BenchmarkPluginRSS needs -control-plane (etcd and kube-apiserver) and -plugin (netclaim-plugin); run.sh passes both")
	}
	dir := rssDir(b)
	cp := startControlPlane(b, *controlPlaneDir, filepath.Join(dir, "control-plane"))
	cp.createNode(b, nodeName)
	root := writeDenseHost(b)

	for _, d := range []string{"registry", "plugins", "state", "cdi"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	// gctrace makes the Go runtime log every collection to stderr (the plugin's log): the
	// live heap after the last one says how much of the RSS is data the plugin holds.
	plugin := startProcess(b, dir, []string{"GODEBUG=gctrace=1"}, "netclaim-plugin", *pluginBinary,
		"--node-name", nodeName, "--host-root", root, "--kubeconfig", cp.kubeconfig,
		"--kubelet-registrar-dir", filepath.Join(dir, "registry"), "--kubelet-plugins-dir", filepath.Join(dir, "plugins"),
		"--state-dir", filepath.Join(dir, "state"), "--cdi-dir", filepath.Join(dir, "cdi"),
		"--nri-socket", filepath.Join(dir, "nri.sock"), "--rescan-interval", rssRescan.String(), "--v", "1")
	pid := plugin.Process.Pid
	rv := waitPublished(b, cp, filepath.Join(dir, "netclaim-plugin.log"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := cp.client.ResourceV1().ResourceSlices().Watch(ctx, metav1.ListOptions{
		FieldSelector: "spec.nodeName=" + nodeName, ResourceVersion: rv,
	})
	if err != nil {
		b.Fatalf("watching ResourceSlices: %v", err)
	}
	defer w.Stop()

	var samples []float64
	writes := 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	end := time.After(*rssIdle)
idle:
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				b.Fatal("the ResourceSlice watch ended during the idle window")
			}
			if ev.Type != watch.Bookmark {
				writes++
			}
		case <-tick.C:
			rss, err := statusKiB(pid, "VmRSS")
			if err != nil {
				b.Fatalf("the plugin is gone: %v\n%s", err, tail(filepath.Join(dir, "netclaim-plugin.log"), 20))
			}
			samples = append(samples, float64(rss)/1024)
		case <-end:
			break idle
		}
	}
	status := map[string]int{}
	for _, name := range []string{"VmHWM", "RssAnon", "RssFile"} {
		kib, err := statusKiB(pid, name)
		if err != nil {
			b.Fatalf("the plugin is gone: %v", err)
		}
		status[name] = kib
	}
	heap := liveHeapMiB(b, filepath.Join(dir, "netclaim-plugin.log"))
	if len(samples) == 0 {
		b.Fatal("no RSS samples: -rss-idle is shorter than the sampling interval")
	}
	slices.Sort(samples)

	r := newResults("rss")
	r.add("plugin_devices", "%d", denseDevices)
	r.add("plugin_rss_mib", "%.1f", samples[len(samples)-1])
	r.add("plugin_rss_median_mib", "%.1f", samples[len(samples)/2])
	r.add("plugin_rss_hwm_mib", "%.1f", float64(status["VmHWM"])/1024)
	r.add("plugin_rss_anon_mib", "%.1f", float64(status["RssAnon"])/1024)
	r.add("plugin_rss_file_mib", "%.1f", float64(status["RssFile"])/1024)
	r.add("plugin_heap_live_mib", "%d", heap)
	r.add("plugin_idle_seconds", "%.0f", rssIdle.Seconds())
	r.add("plugin_idle_rescans", "%d", int(*rssIdle / *rssRescan))
	r.add("plugin_idle_slice_writes", "%d", writes)
	b.ReportMetric(samples[len(samples)-1], "rss-MiB")
	r.write(b)
	if writes != 0 {
		b.Errorf("the idle plugin wrote its ResourceSlices %d times", writes)
	}
}

// rssDir is where the plugin and control plane keep their state: under -out when given,
// so that run.sh can find (and stop) anything a killed benchmark left running.
func rssDir(tb testing.TB) string {
	tb.Helper()
	if *outDir == "" {
		return tb.TempDir()
	}
	dir := filepath.Join(*outDir, "rss")
	if err := os.RemoveAll(dir); err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// The logs stay for a look after the run; etcd's data and the keys go.
		for _, d := range []string{"control-plane/etcd", "control-plane/pki", "state", "cdi"} {
			if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
				tb.Errorf("cleaning up: %v", err)
			}
		}
	})
	return dir
}

// waitPublished waits until the node's ResourceSlices hold every device of the dense host
// and returns the list's resourceVersion.
func waitPublished(tb testing.TB, cp *controlPlane, pluginLog string) string {
	tb.Helper()
	deadline := time.Now().Add(readyTimeout)
	got := 0
	for time.Now().Before(deadline) {
		list, err := cp.client.ResourceV1().ResourceSlices().List(context.Background(),
			metav1.ListOptions{FieldSelector: "spec.nodeName=" + nodeName})
		if err != nil {
			tb.Fatalf("listing ResourceSlices: %v", err)
		}
		got = 0
		for _, s := range list.Items {
			got += len(s.Spec.Devices)
		}
		if got == denseDevices {
			return list.ResourceVersion
		}
		time.Sleep(500 * time.Millisecond)
	}
	tb.Fatalf("the plugin published %d devices in %v, want %d\n%s", got, readyTimeout, denseDevices, tail(pluginLog, 20))
	return ""
}

// liveHeapMiB is the heap left after the last garbage collection in a gctrace log: the
// third figure of "A->B->C MB".
func liveHeapMiB(tb testing.TB, logPath string) int {
	tb.Helper()
	data, err := os.ReadFile(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	live := -1
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "gc ") {
			continue
		}
		for _, field := range strings.Split(line, ",") {
			heap, ok := strings.CutSuffix(strings.TrimSpace(field), " MB")
			if parts := strings.Split(heap, "->"); ok && len(parts) == 3 {
				if n, err := strconv.Atoi(parts[2]); err == nil {
					live = n
				}
			}
		}
	}
	if live < 0 {
		tb.Fatalf("no gctrace line in %s", logPath)
	}
	return live
}

// statusKiB reads a "Name: N kB" line of /proc/PID/status.
func statusKiB(pid int, name string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || key != name {
			continue
		}
		return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), " kB"))
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", name, pid)
}
