package main

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/dynamic-resource-allocation/resourceclaim"

	"github.com/netclaim/netclaim/test/e2e/nodeagent"
)

// deviceID names a published device.
type deviceID struct{ driver, pool, device string }

// attributes of one published device, by name as published (netclaim's own without
// domain, standard ones with it).
type attributes map[resourceapi.QualifiedName]resourceapi.DeviceAttribute

func (a attributes) str(name resourceapi.QualifiedName) string {
	v, ok := a[name]
	switch {
	case !ok:
		return ""
	case v.StringValue != nil:
		return *v.StringValue
	case v.IntValue != nil:
		return fmt.Sprint(*v.IntValue)
	case v.BoolValue != nil:
		return fmt.Sprint(*v.BoolValue)
	case v.VersionValue != nil:
		return *v.VersionValue
	}
	return ""
}

// summary is the line a person wants about a device: what it is and where it hangs.
func (a attributes) summary() string {
	var parts []string
	if kind := a.str("kind"); kind != "" {
		s := kind + " " + a.str("ifName")
		if pf := a.str("pfName"); pf != "" {
			s += " of " + pf
		}
		parts = append(parts, s)
	}
	for _, kv := range []struct{ label, name string }{
		{"pci", "resource.kubernetes.io/pciBusID"},
		{"pcieRoot", "resource.kubernetes.io/pcieRoot"},
		{"numa", "resource.kubernetes.io/numaNode"},
		{"mtu", "mtu"},
		{"mac", "mac"},
	} {
		if v := a.str(resourceapi.QualifiedName(kv.name)); v != "" {
			parts = append(parts, kv.label+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func publishedDevices(ctx context.Context, client kubernetes.Interface) (map[deviceID]attributes, error) {
	slices, err := client.ResourceV1().ResourceSlices().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing ResourceSlices: %w", err)
	}
	out := map[deviceID]attributes{}
	for _, s := range slices.Items {
		for _, d := range s.Spec.Devices {
			out[deviceID{s.Spec.Driver, s.Spec.Pool.Name, d.Name}] = d.Attributes
		}
	}
	return out, nil
}

// podView is everything printed about one pod.
type podView struct {
	pod    *corev1.Pod
	netns  string
	claims []claimView
	links  []linkView
	routes []string
	// netnsErr says why the interfaces could not be read (pod not running yet).
	netnsErr error
}

type claimView struct {
	name, source string
	devices      []allocatedView
}

type allocatedView struct {
	request string
	id      deviceID
	attrs   attributes
	status  *resourceapi.AllocatedDeviceStatus
}

func describePod(ctx context.Context, client kubernetes.Interface, devices map[deviceID]attributes, pod *corev1.Pod) (podView, error) {
	v := podView{pod: pod}
	for i := range pod.Spec.ResourceClaims {
		pc := &pod.Spec.ResourceClaims[i]
		name, _, err := resourceclaim.Name(pod, pc)
		if err != nil || name == nil {
			v.claims = append(v.claims, claimView{name: pc.Name, source: "not created yet"})
			continue
		}
		claim, err := client.ResourceV1().ResourceClaims(pod.Namespace).Get(ctx, *name, metav1.GetOptions{})
		if err != nil {
			return v, fmt.Errorf("reading claim %s of pod %s/%s: %w", *name, pod.Namespace, pod.Name, err)
		}
		v.claims = append(v.claims, describeClaim(claim, pc, devices))
	}
	if pod.Spec.NodeName != "" {
		// cluster-up.sh starts each node's agent with the prefix "<node>-pod-".
		v.netns = nodeagent.PodNetnsPath(pod.Spec.NodeName+"-pod-", pod.UID)
		v.links, v.routes, v.netnsErr = readNetns(v.netns)
	}
	return v, nil
}

func describeClaim(claim *resourceapi.ResourceClaim, pc *corev1.PodResourceClaim, devices map[deviceID]attributes) claimView {
	cv := claimView{name: claim.Name, source: "claim"}
	if pc.ResourceClaimTemplateName != nil {
		cv.source = "from template " + *pc.ResourceClaimTemplateName
	}
	if claim.Status.Allocation == nil {
		return cv
	}
	for _, r := range claim.Status.Allocation.Devices.Results {
		id := deviceID{r.Driver, r.Pool, r.Device}
		av := allocatedView{request: r.Request, id: id, attrs: devices[id]}
		for i, st := range claim.Status.Devices {
			if st.Driver == r.Driver && st.Pool == r.Pool && st.Device == r.Device {
				av.status = &claim.Status.Devices[i]
			}
		}
		cv.devices = append(cv.devices, av)
	}
	return cv
}
