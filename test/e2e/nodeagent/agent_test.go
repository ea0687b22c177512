package nodeagent

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
)

// deleting returns the pod as the API shows it after a graceful delete.
func deleting(pod *corev1.Pod) *corev1.Pod {
	pod = pod.DeepCopy()
	pod.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	return pod
}

func podNetns(env *testNodeEnv, pod *corev1.Pod) string {
	return netnsPath(podNetnsName(env.cfg.NetnsPrefix, pod.UID))
}

func sandboxID(t *testing.T, env *testNodeEnv, pod *corev1.Pod) string {
	t.Helper()
	rec, ok := env.agent.store.get(pod.UID)
	if !ok || rec.Sandbox == nil {
		t.Fatalf("no sandbox recorded for pod %s", pod.Name)
	}
	return rec.Sandbox.ID
}

func assertNoNetns(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pod network namespace %s: stat error %v, want it gone", path, err)
	}
}

func assertEvents(t *testing.T, env *testNodeEnv, want ...string) {
	t.Helper()
	var got []string
	for len(env.events.Events) > 0 {
		got = append(got, <-env.events.Events)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pod events (-want +got):\n%s", diff)
	}
}

func TestAgent_StartsAndTearsDownAPodInKubeletAndContainerdOrder(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "nic")
	env := startTestNode(t, ctx, pod, testClaim("nic", "uid-nic", pod, testDriver))
	nsPath := podNetns(env, pod)

	if err := env.agent.reconcile(ctx, pod.UID, pod); err != nil {
		t.Fatal(err)
	}
	id := sandboxID(t, env, pod)
	want := []string{
		"driver: prepare default/nic",
		"nri: RunPodSandbox default/web " + id + " netns=" + nsPath + " lo=up",
	}
	if diff := cmp.Diff(want, env.log.take()); diff != "" {
		t.Errorf("calls while starting the pod (-want +got):\n%s", diff)
	}
	running, err := env.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if running.Status.Phase != corev1.PodRunning {
		t.Errorf("pod phase = %s, want Running", running.Status.Phase)
	}
	if ms, err := strconv.ParseFloat(running.Annotations[AnnotationAttachMs], 64); err != nil || ms <= 0 {
		t.Errorf("annotation %s = %q, want a positive number of milliseconds", AnnotationAttachMs, running.Annotations[AnnotationAttachMs])
	}
	if _, err := time.Parse(time.RFC3339Nano, running.Annotations[AnnotationConfiguredAt]); err != nil {
		t.Errorf("annotation %s: %v", AnnotationConfiguredAt, err)
	}

	// A second sync of the running pod changes nothing.
	if err := env.agent.reconcile(ctx, pod.UID, running); err != nil {
		t.Fatal(err)
	}
	if got := env.log.take(); len(got) != 0 {
		t.Errorf("calls while re-syncing a running pod: %q, want none", got)
	}

	if err := env.agent.reconcile(ctx, pod.UID, deleting(running)); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"nri: StopPodSandbox default/web " + id + " netns=",
		"driver: unprepare default/nic",
		"nri: RemovePodSandbox default/web " + id + " netns=",
	}
	if diff := cmp.Diff(want, env.log.take()); diff != "" {
		t.Errorf("calls while tearing the pod down (-want +got):\n%s", diff)
	}
	assertNoNetns(t, nsPath)
	if _, err := env.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod after teardown: %v, want it deleted", err)
	}
	reread, err := openState(env.cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := reread.list(); len(got) != 0 {
		t.Errorf("state file after teardown holds %v, want nothing", got)
	}
	assertEvents(t, env)
}

func TestAgent_PrepareFailureKeepsThePodPendingWithKubeletsEvent(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "nic")
	env := startTestNode(t, ctx, pod, testClaim("nic", "uid-nic", pod, testDriver))
	env.driver.failPrepareOf("uid-nic", "claim default/nic: config: spec.vlan: 5000 is outside 1..4094")

	if err := env.agent.reconcile(ctx, pod.UID, pod); err == nil {
		t.Fatal("reconcile succeeded, want the prepare error")
	}
	if diff := cmp.Diff([]string{"driver: prepare default/nic"}, env.log.take()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	assertEvents(t, env, "Warning FailedPrepareDynamicResources Failed to prepare dynamic resources: "+
		"NodePrepareResources failed for claim default/nic: claim default/nic: config: spec.vlan: 5000 is outside 1..4094")
	pending, err := env.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pending.Status.Phase != corev1.PodPending {
		t.Errorf("pod phase = %s, want Pending", pending.Status.Phase)
	}
	assertNoNetns(t, podNetns(env, pod))

	// kubelet unprepares every claim it asked to prepare, including a failed one.
	if err := env.agent.reconcile(ctx, pod.UID, deleting(pending)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"driver: unprepare default/nic"}, env.log.take()); diff != "" {
		t.Errorf("calls while deleting the pod (-want +got):\n%s", diff)
	}
}

func TestAgent_RunPodSandboxFailureRemovesTheNetnsLikeContainerd(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "nic")
	env := startTestNode(t, ctx, pod, testClaim("nic", "uid-nic", pod, testDriver))
	env.nri.failRunOf("web")
	nsPath := podNetns(env, pod)

	if err := env.agent.reconcile(ctx, pod.UID, pod); err == nil {
		t.Fatal("reconcile succeeded, want the RunPodSandbox error")
	}
	calls := env.log.take()
	if len(calls) != 2 || !strings.HasPrefix(calls[1], "nri: RunPodSandbox default/web ") {
		t.Fatalf("calls = %q, want prepare then RunPodSandbox only (no Stop or Remove for a sandbox that failed to run)", calls)
	}
	firstRun := calls[1]
	assertNoNetns(t, nsPath)
	select {
	case ev := <-env.events.Events:
		const prefix = "Warning FailedCreatePodSandBox Failed to create pod sandbox: NRI RunPodSandbox failed: "
		if !strings.HasPrefix(ev, prefix) || !strings.HasSuffix(ev, "moving nic0 into the pod: device busy") {
			t.Errorf("event = %q, want %q... ending with the plugin's error", ev, prefix)
		}
	default:
		t.Error("no event for the failed sandbox")
	}
	rec, _ := env.agent.store.get(pod.UID)
	if rec.Sandbox != nil || len(rec.PreparedClaims) != 1 {
		t.Errorf("record after the failure = %+v, want no sandbox and the claim still prepared", rec)
	}

	// The retry creates a new sandbox, as kubelet's next SyncPod would.
	env.nri.failRunOf("")
	if err := env.agent.reconcile(ctx, pod.UID, pod); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"driver: prepare default/nic",
		"nri: RunPodSandbox default/web " + sandboxID(t, env, pod) + " netns=" + nsPath + " lo=up",
	}
	if diff := cmp.Diff(want, env.log.take()); diff != "" {
		t.Errorf("calls on retry (-want +got):\n%s", diff)
	}
	if want[1] == firstRun {
		t.Errorf("the retry reused the failed sandbox's ID")
	}
}

func TestAgent_RestartedAgentResumesFromItsStateDirectory(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "nic")
	env := startTestNode(t, ctx, pod, testClaim("nic", "uid-nic", pod, testDriver))
	if err := env.agent.reconcile(ctx, pod.UID, pod); err != nil {
		t.Fatal(err)
	}
	id := sandboxID(t, env, pod)
	nsPath := podNetns(env, pod)
	env.log.take()
	env.agent.runtime.stop()

	restarted := startAgent(t, ctx, env.cfg)
	_, synced := connectRecorder(t, ctx, restarted, env.log)
	want := []*nriapi.PodSandbox{{
		Id: id, Name: "web", Uid: string(pod.UID), Namespace: "default",
		Labels: map[string]string{"app": "web", "io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.uid": string(pod.UID)},
		Linux:  &nriapi.LinuxPodSandbox{Namespaces: []*nriapi.LinuxNamespace{{Type: "network", Path: nsPath}}},
	}}
	if diff := cmp.Diff(want, synced, protocmp.Transform()); diff != "" {
		t.Errorf("sandboxes the restarted runtime sent to a connecting plugin (-want +got):\n%s", diff)
	}

	// The pod was deleted while the agent was down: the record is all that is left.
	if err := env.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := restarted.reconcile(ctx, pod.UID, nil); err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{
		"nri: StopPodSandbox default/web " + id + " netns=",
		"driver: unprepare default/nic",
		"nri: RemovePodSandbox default/web " + id + " netns=",
	}
	if diff := cmp.Diff(wantCalls, env.log.take()); diff != "" {
		t.Errorf("calls while tearing down after the restart (-want +got):\n%s", diff)
	}
	assertNoNetns(t, nsPath)
}

func TestAgent_IgnoresClaimsOfOtherDrivers(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "gpu")
	env := startTestNode(t, ctx, pod, testClaim("gpu", "uid-gpu", pod, "gpu.example.com"))

	if err := env.agent.reconcile(ctx, pod.UID, pod); err != nil {
		t.Fatal(err)
	}
	calls := env.log.take()
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "nri: RunPodSandbox default/web ") {
		t.Errorf("calls = %q, want only RunPodSandbox (no prepare for another driver's claim)", calls)
	}
}

func TestAgent_WaitsForClaimsReservedForThePod(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	pod := testPod("web", uuid.NewUUID(), "nic")
	env := startTestNode(t, ctx, pod, testClaim("nic", "uid-nic", nil, testDriver))

	err := env.agent.reconcile(ctx, pod.UID, pod)
	if !errors.Is(err, errClaimsPending) {
		t.Fatalf("reconcile error = %v, want errClaimsPending", err)
	}
	if got := env.log.take(); len(got) != 0 {
		t.Errorf("calls = %q, want none before the claim is reserved", got)
	}
	assertEvents(t, env)
}

func TestAgent_Run_StartsAndTearsDownPodsSeenThroughTheAPI(t *testing.T) {
	requireRoot(t)
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	pod := testPod("web", uuid.NewUUID(), "nic")
	client := fake.NewClientset(testClaim("nic", "uid-nic", pod, testDriver))
	log := &journal{}
	cfg := testDirs(t, client, record.NewFakeRecorder(10))
	cleanupPodNetns(t, cfg.NetnsPrefix)
	if err := os.MkdirAll(cfg.RegistrarDir, 0o750); err != nil {
		t.Fatal(err)
	}
	startFakeDriver(t, ctx, cfg, testDriver, "driver", log)
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(runCtx) }()

	if err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		_, err := os.Stat(cfg.NRISocket)
		return err == nil, nil
	}); err != nil {
		t.Fatalf("the agent never listened on its NRI socket: %v", err)
	}
	connectRecorder(t, ctx, a, log)
	if err := a.plugins.waitForDriver(ctx, testDriver); err != nil {
		t.Fatal(err)
	}

	watcher, err := client.CoreV1().Pods(testNamespace).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Stop()
	if _, err := client.CoreV1().Pods(testNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for running := false; !running; {
		select {
		case ev := <-watcher.ResultChan():
			p, ok := ev.Object.(*corev1.Pod)
			running = ok && p.Status.Phase == corev1.PodRunning
		case <-ctx.Done():
			t.Fatalf("the pod never ran: %v", ctx.Err())
		}
	}
	if err := client.CoreV1().Pods(testNamespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		return len(a.store.list()) == 0, nil
	}); err != nil {
		t.Fatalf("the deleted pod was never torn down: %v", err)
	}
	stop()
	if err := <-runErr; err != nil {
		t.Errorf("Run returned %v after its context ended, want nil", err)
	}

	calls := log.take()
	var kinds []string
	for _, c := range calls {
		kinds = append(kinds, strings.Join(strings.Fields(c)[:3], " "))
	}
	want := []string{
		"driver: prepare default/nic", "nri: RunPodSandbox default/web",
		"nri: StopPodSandbox default/web", "driver: unprepare default/nic", "nri: RemovePodSandbox default/web",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("calls (-want +got):\n%s\nfull calls: %q", diff, calls)
	}
	assertNoNetns(t, netnsPath(podNetnsName(cfg.NetnsPrefix, pod.UID)))
}
