package nodesuite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// latencyRounds pods are started with and without a netclaim NIC, alternating.
const latencyRounds = 5

// Measures, on the real node, pod create → Running with and without a netclaim NIC, the
// time containerd spends in RunPodSandbox (CNI, NRI hooks: netclaim's attach runs there)
// and netclaim's own attach time from its log. Figures go to the results file; the test
// fails only when a pod does not start or a figure cannot be read.
func TestPodStartLatency_WithAndWithoutInterface(t *testing.T) {
	n := realNode(t)
	ns := newNamespace(t, n)
	e2eutil.CreateClass(t, n.client, testNICClass(ns+"-nic"))
	e2eutil.CreateTemplate(t, n.client, nicTemplate(t, ns, "nic", ns+"-nic", nicConfig()))
	since := metav1.Now()

	var plain, withNIC []time.Duration
	for i := range latencyRounds {
		for _, template := range []string{"", "nic"} {
			name := fmt.Sprintf("plain-%d", i)
			if template != "" {
				name = fmt.Sprintf("nic-%d", i)
			}
			d := timePodStart(t, n, n.busyboxPod(ns, name, template, "exec sleep 3600"))
			if template == "" {
				plain = append(plain, d)
			} else {
				withNIC = append(withNIC, d)
			}
			deletePod(t, n, ns, name)
		}
	}
	sandboxPlain, sandboxNIC := runPodSandboxTimes(t, n, ns)
	attach := pluginAttachTimes(t, n, since)

	lines := []string{
		fmt.Sprintf("real node: pod create -> Running, no claim: median %s (first %s, all %s)", medianMS(plain), plain[0].Round(time.Millisecond), rounded(plain)),
		fmt.Sprintf("real node: pod create -> Running, one netclaim NIC: median %s (first %s, all %s)", medianMS(withNIC), withNIC[0].Round(time.Millisecond), rounded(withNIC)),
		fmt.Sprintf("real node: containerd RunPodSandbox, no claim: median %s; with a netclaim NIC (NRI attach inside): median %s",
			medianMS(sandboxPlain), medianMS(sandboxNIC)),
		fmt.Sprintf("real node: netclaim attach of one NIC (plugin log, in the RunPodSandbox hook): median %s over %d", medianMS(attach), len(attach)),
	}
	for _, l := range lines {
		t.Log(l)
	}
	appendResults(t, n, lines)
}

// timePodStart creates p and returns the time until the API reports it Running, watched
// (not polled) so the figure is not rounded to a poll interval.
func timePodStart(t *testing.T, n *node, p *corev1.Pod) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), podTimeout)
	defer cancel()
	start := time.Now()
	created, err := n.client.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod %s/%s: %v", p.Namespace, p.Name, err)
	}
	w, err := n.client.CoreV1().Pods(p.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", p.Name).String(), ResourceVersion: created.ResourceVersion,
	})
	if err != nil {
		t.Fatalf("watching pod %s/%s: %v", p.Namespace, p.Name, err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if got, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Modified && got.Status.Phase == corev1.PodRunning {
			return time.Since(start)
		}
	}
	t.Fatalf("pod %s/%s not Running within %s", p.Namespace, p.Name, podTimeout)
	return 0
}

// containerd logs "RunPodSandbox for &PodSandboxMetadata{Name:N,...Namespace:NS,...}" when
// it starts a sandbox and the same text plus "returns sandbox id" when it is done.
var sandboxLine = regexp.MustCompile(`^time="([^"]+)" level=info msg="RunPodSandbox for &PodSandboxMetadata\{Name:([^,]+),Uid:[^,]*,Namespace:([^,]+),.*\}( returns sandbox id)?`)

// runPodSandboxTimes reads containerd's log for how long each RunPodSandbox of the
// namespace's pods took, split into pods without (plain-*) and with a NIC (nic-*).
func runPodSandboxTimes(t *testing.T, n *node, ns string) (plain, withNIC []time.Duration) {
	t.Helper()
	f, err := os.Open(filepath.Join(n.runDir, "logs", "containerd.log"))
	if err != nil {
		t.Fatalf("containerd log: %v", err)
	}
	defer f.Close()
	started := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := sandboxLine.FindStringSubmatch(sc.Text())
		if m == nil || m[3] != ns {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Fatalf("containerd log time %q: %v", m[1], err)
		}
		if m[4] == "" {
			started[m[2]] = at
			continue
		}
		d := at.Sub(started[m[2]])
		if strings.HasPrefix(m[2], "nic-") {
			withNIC = append(withNIC, d)
		} else {
			plain = append(plain, d)
		}
	}
	if len(plain) != latencyRounds || len(withNIC) != latencyRounds {
		t.Fatalf("containerd log: found %d plain and %d NIC RunPodSandbox calls of namespace %s, want %d each", len(plain), len(withNIC), ns, latencyRounds)
	}
	return plain, withNIC
}

// pluginAttach matches netclaim's log line for one attached device and its duration.
var pluginAttach = regexp.MustCompile(`"Attached network device".* duration="([^"]+)"`)

// pluginAttachTimes reads the attach durations the plugin logged since the given time.
func pluginAttachTimes(t *testing.T, n *node, since metav1.Time) []time.Duration {
	t.Helper()
	ds := pluginDaemonSet(t, n)
	p := waitPluginPod(t, n, ds, "the plugin pod on "+n.name, func(*corev1.Pod) bool { return true })
	raw, err := n.client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{SinceTime: &since}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("reading the plugin's log: %v", err)
	}
	var out []time.Duration
	for _, line := range strings.Split(string(raw), "\n") {
		if m := pluginAttach.FindStringSubmatch(line); m != nil {
			d, err := time.ParseDuration(m[1])
			if err != nil {
				t.Fatalf("plugin log duration %q: %v", m[1], err)
			}
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatalf("the plugin logged no \"Attached network device\" with a duration since %s", since)
	}
	return out
}

// medianMS is the median rounded to the millisecond, as the results file reports it.
func medianMS(ds []time.Duration) time.Duration {
	return e2eutil.Median(ds).Round(time.Millisecond)
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// appendResults adds lines to the results file that make e2e-node prints and keeps.
func appendResults(t *testing.T, n *node, lines []string) {
	t.Helper()
	if err := e2eutil.AppendResults(n.results, lines...); err != nil {
		t.Fatal(err)
	}
}
