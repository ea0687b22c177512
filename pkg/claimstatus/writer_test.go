package claimstatus

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func newClaim() *resourceapi.ResourceClaim {
	return &resourceapi.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "ns", UID: "uid-1"},
		Status:     resourceapi.ResourceClaimStatus{Allocation: &resourceapi.AllocationResult{}},
	}
}

func startWriter(t *testing.T, claims ...*resourceapi.ResourceClaim) (*Writer, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset()
	for _, c := range claims {
		if _, err := client.ResourceV1().ResourceClaims(c.Namespace).Create(context.Background(), c, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w := NewWriter(client, "netclaim.dev")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, 2); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w, client
}

// waitWritten waits until n updates were applied; the bound only keeps a broken writer
// from hanging the suite, it asserts nothing about speed.
func waitWritten(t *testing.T, w *Writer, n int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return w.Written() >= n, nil })
	if err != nil {
		t.Fatalf("writer applied %d updates, want %d", w.Written(), n)
	}
}

func TestWriter_AppliesNetworkDataAndReadyCondition(t *testing.T) {
	w, client := startWriter(t, newClaim())
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "uid-1", Devices: []DeviceStatus{{
		Pool: "node-a", Device: "pci-0000-3b-02-1", InterfaceName: "net1",
		IPs: []string{"192.0.2.10/24", "2001:db8::10/64"}, HardwareAddress: "02:00:00:00:00:01", Ready: true,
	}}})
	waitWritten(t, w, 1)

	got, err := client.ResourceV1().ResourceClaims("ns").Get(context.Background(), "c1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Devices) != 1 {
		t.Fatalf("status.devices = %+v, want one entry", got.Status.Devices)
	}
	d := got.Status.Devices[0]
	want := resourceapi.NetworkDeviceData{InterfaceName: "net1", IPs: []string{"192.0.2.10/24", "2001:db8::10/64"}, HardwareAddress: "02:00:00:00:00:01"}
	if diff := cmp.Diff(want, *d.NetworkData); diff != "" {
		t.Errorf("networkData (-want +got):\n%s", diff)
	}
	if d.Driver != "netclaim.dev" || d.Pool != "node-a" || d.Device != "pci-0000-3b-02-1" {
		t.Errorf("device key = %s/%s/%s", d.Driver, d.Pool, d.Device)
	}
	if len(d.Conditions) != 1 || d.Conditions[0].Type != ConditionReady || d.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("conditions = %+v, want Ready=True", d.Conditions)
	}
}

func TestWriter_DeviceWithoutNetdevGetsReadyButNoNetworkData(t *testing.T) {
	w, client := startWriter(t, newClaim())
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "uid-1", Devices: []DeviceStatus{{
		Pool: "node-a", Device: "pci-0000-3b-02-3", Ready: true,
	}}})
	waitWritten(t, w, 1)

	got, err := client.ResourceV1().ResourceClaims("ns").Get(context.Background(), "c1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Devices) != 1 {
		t.Fatalf("status.devices = %+v, want one entry", got.Status.Devices)
	}
	if d := got.Status.Devices[0]; d.NetworkData != nil || len(d.Conditions) != 1 || d.Conditions[0].Status != metav1.ConditionTrue {
		t.Errorf("vfio device status = %+v, want Ready=True and no networkData", d)
	}
}

func TestWriter_EmptyUpdateRemovesOurEntries(t *testing.T) {
	w, client := startWriter(t, newClaim())
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "uid-1", Devices: []DeviceStatus{{Pool: "p", Device: "d", InterfaceName: "net1", Ready: true}}})
	waitWritten(t, w, 1)
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "uid-1"})
	waitWritten(t, w, 2)

	got, err := client.ResourceV1().ResourceClaims("ns").Get(context.Background(), "c1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Devices) != 0 {
		t.Errorf("status.devices = %+v, want none after the empty update", got.Status.Devices)
	}
}

func TestWriter_MissingClaimIsNotRetriedForever(t *testing.T) {
	w, _ := startWriter(t)
	w.Enqueue(Update{Namespace: "ns", Name: "gone", UID: "uid-x"})
	waitWritten(t, w, 1)
}

func TestWriter_NilClientDropsUpdates(t *testing.T) {
	w := NewWriter(nil, "netclaim.dev")
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "u"})
	if w.Written() != 0 {
		t.Fatal("nil-client writer must not report writes")
	}
}

func TestWriter_KeepsOtherDriversEntriesAndSkipsUnchangedWrites(t *testing.T) {
	claim := newClaim()
	gpu := resourceapi.AllocatedDeviceStatus{Driver: "gpu.example.com", Pool: "node-a", Device: "gpu-0"}
	claim.Status.Devices = []resourceapi.AllocatedDeviceStatus{gpu}
	w, client := startWriter(t, claim)
	updates := 0
	client.PrependReactor("update", "resourceclaims", func(k8stesting.Action) (bool, runtime.Object, error) {
		updates++
		return false, nil, nil
	})
	u := Update{Namespace: "ns", Name: "c1", UID: "uid-1", Devices: []DeviceStatus{{Pool: "node-a", Device: "d", InterfaceName: "net1", Ready: true}}}
	w.Enqueue(u)
	waitWritten(t, w, 1)
	w.Enqueue(u)
	waitWritten(t, w, 2)

	got, err := client.ResourceV1().ResourceClaims("ns").Get(context.Background(), "c1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Devices) != 2 || !cmp.Equal(got.Status.Devices[0], gpu) || got.Status.Devices[1].Driver != "netclaim.dev" {
		t.Errorf("status.devices = %+v, want the GPU entry kept and ours added", got.Status.Devices)
	}
	if updates != 1 {
		t.Errorf("%d status updates, want 1: the repeated identical update must not write", updates)
	}
}

func TestWriter_DoesNotWriteToAReplacedClaim(t *testing.T) {
	w, client := startWriter(t, newClaim())
	w.Enqueue(Update{Namespace: "ns", Name: "c1", UID: "uid-of-an-older-claim", Devices: []DeviceStatus{{Pool: "p", Device: "d", Ready: true}}})
	waitWritten(t, w, 1)
	got, err := client.ResourceV1().ResourceClaims("ns").Get(context.Background(), "c1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.Devices) != 0 {
		t.Errorf("status.devices = %+v, want none: the update was for a claim with another UID", got.Status.Devices)
	}
}
