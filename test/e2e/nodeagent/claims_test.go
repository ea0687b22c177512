package nodeagent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/dynamic-resource-allocation/resourceclaim"
	"k8s.io/utils/ptr"
)

func TestPodClaimNames(t *testing.T) {
	templated := func(status ...corev1.PodResourceClaimStatus) *corev1.Pod {
		pod := testPod("web", "uid-web")
		pod.Spec.ResourceClaims = []corev1.PodResourceClaim{
			{Name: "direct", ResourceClaimName: ptr.To("shared-nic")},
			{Name: "net", ResourceClaimTemplateName: ptr.To("vf-template")},
		}
		pod.Status.ResourceClaimStatuses = status
		return pod
	}
	tests := []struct {
		name        string
		pod         *corev1.Pod
		want        []podClaimName
		wantPending bool
	}{
		{
			name: "no claims",
			pod:  testPod("web", "uid-web"),
		},
		{
			name: "direct claim and generated claim resolved through the pod status",
			pod:  templated(corev1.PodResourceClaimStatus{Name: "net", ResourceClaimName: ptr.To("web-net-x7k2p")}),
			want: []podClaimName{{name: "shared-nic"}, {name: "web-net-x7k2p", generated: true}},
		},
		{
			name:        "template claim not generated yet is pending",
			pod:         templated(),
			wantPending: true,
		},
		{
			name: "template claim deliberately not created is skipped",
			pod:  templated(corev1.PodResourceClaimStatus{Name: "net"}),
			want: []podClaimName{{name: "shared-nic"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := podClaimNames(tt.pod)
			if tt.wantPending {
				if !errors.Is(err, errClaimsPending) || !errors.Is(err, resourceclaim.ErrClaimNotFound) {
					t.Fatalf("error = %v, want errClaimsPending wrapping ErrClaimNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(podClaimName{})); diff != "" {
				t.Errorf("claim names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckClaimUsable(t *testing.T) {
	pod := testPod("web", "uid-web", "nic")
	other := testPod("other", "uid-other")
	ownedBy := func(owner *corev1.Pod, c *resourceapi.ResourceClaim) *resourceapi.ResourceClaim {
		c.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}}
		return c
	}
	unallocated := testClaim("nic", "uid-nic", pod, testDriver)
	unallocated.Status.Allocation = nil
	tests := []struct {
		name        string
		claim       *resourceapi.ResourceClaim
		generated   bool
		wantErr     bool
		wantPending bool
	}{
		{name: "allocated and reserved", claim: testClaim("nic", "uid-nic", pod, testDriver)},
		{name: "not allocated yet", claim: unallocated, wantErr: true, wantPending: true},
		{name: "reserved for another pod", claim: testClaim("nic", "uid-nic", other, testDriver), wantErr: true, wantPending: true},
		{name: "generated claim owned by the pod", claim: ownedBy(pod, testClaim("nic", "uid-nic", pod, testDriver)), generated: true},
		{name: "generated claim owned by another pod", claim: ownedBy(other, testClaim("nic", "uid-nic", pod, testDriver)), generated: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkClaimUsable(pod, tt.claim, tt.generated)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("error = %v, want error: %v", err, tt.wantErr)
			}
			if gotPending := errors.Is(err, errClaimsPending); gotPending != tt.wantPending {
				t.Errorf("error = %v, want pending: %v", err, tt.wantPending)
			}
		})
	}
}

func TestFetchPodClaims_KeepsOnlyClaimsWithDevicesOfTheDriver(t *testing.T) {
	pod := testPod("web", "uid-web", "nic", "gpu", "nic-and-gpu")
	early := metav1.NewTime(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	late := metav1.NewTime(early.Add(3 * time.Second))
	nic := testClaim("nic", "uid-nic", pod, testDriver)
	nic.Status.Allocation.AllocationTimestamp = &early
	gpu := testClaim("gpu", "uid-gpu", pod, "gpu.example.com")
	both := testClaim("nic-and-gpu", "uid-both", pod, "gpu.example.com", testDriver)
	both.Status.Allocation.AllocationTimestamp = &late
	client := fake.NewClientset(nic, gpu, both)

	got, err := fetchPodClaims(context.Background(), client, pod, testDriver)
	if err != nil {
		t.Fatal(err)
	}
	want := podClaims{
		forDriver: []claimRef{
			{Namespace: testNamespace, Name: "nic", UID: "uid-nic"},
			{Namespace: testNamespace, Name: "nic-and-gpu", UID: "uid-both"},
		},
		allocatedAt: late.Time,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(podClaims{})); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestFetchPodClaims_MissingClaimIsPending(t *testing.T) {
	pod := testPod("web", "uid-web", "nic")
	_, err := fetchPodClaims(context.Background(), fake.NewClientset(), pod, testDriver)
	if !errors.Is(err, errClaimsPending) {
		t.Fatalf("error = %v, want errClaimsPending", err)
	}
}
