package suite

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cleanupTimeout bounds the teardown of a test's namespace: every pod in it goes through
// the node agent's StopPodSandbox and NodeUnprepareResources first.
const cleanupTimeout = 2 * time.Minute

// newNamespace creates a namespace for one test. At cleanup it describes what is in it
// (when the test failed) and deletes it, so the next test finds every device free again.
func newNamespace(t *testing.T, c *cluster) string {
	t.Helper()
	ctx := context.Background()
	ns, err := c.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	name := ns.Name
	t.Cleanup(func() {
		if t.Failed() {
			describeNamespace(t, c, name)
		}
		deleteNamespace(t, c, name)
	})
	return name
}

// namespacePrefix turns a test name into the start of a DNS label: lower case, runs of
// anything but letters and digits as one dash, short enough for the random suffix and
// for DeviceClass names built from the namespace.
func namespacePrefix(testName string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimPrefix(testName, "Test")) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-") + "-"
}

// deleteNamespace frees what the test held, then deletes the namespace without waiting
// for it: the namespace controller takes about 5 s to finish even an empty one, and what
// the next test needs is only the devices. They are free once the pods are gone (the node
// agent unprepared their claims) and the claims are gone (deallocated).
func deleteNamespace(t *testing.T, c *cluster, name string) {
	t.Helper()
	ctx := context.Background()
	pods := c.client.CoreV1().Pods(name)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Errorf("deleting the pods of namespace %s: %v", name, err)
	}
	poll(t, "the pods of namespace "+name+" gone", cleanupTimeout, func(ctx context.Context) (bool, error) {
		list, err := pods.List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) == 0, err
	})
	claims := c.client.ResourceV1().ResourceClaims(name)
	if err := claims.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Errorf("deleting the claims of namespace %s: %v", name, err)
	}
	poll(t, "the claims of namespace "+name+" gone", cleanupTimeout, func(ctx context.Context) (bool, error) {
		list, err := claims.List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) == 0, err
	})
	err := c.client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("deleting namespace %s: %v", name, err)
	}
}

// createClass creates a cluster-scoped DeviceClass and deletes it at cleanup. Tests name
// their classes after their namespace, so names never clash between runs.
func createClass(t *testing.T, c *cluster, class *resourceapi.DeviceClass) *resourceapi.DeviceClass {
	t.Helper()
	ctx := context.Background()
	created, err := c.client.ResourceV1().DeviceClasses().Create(ctx, class, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating DeviceClass %s: %v", class.Name, err)
	}
	t.Cleanup(func() {
		err := c.client.ResourceV1().DeviceClasses().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting DeviceClass %s: %v", created.Name, err)
		}
	})
	return created
}

func createClaim(t *testing.T, c *cluster, claim *resourceapi.ResourceClaim) {
	t.Helper()
	if _, err := c.client.ResourceV1().ResourceClaims(claim.Namespace).Create(context.Background(), claim, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ResourceClaim %s/%s: %v", claim.Namespace, claim.Name, err)
	}
}

func createTemplate(t *testing.T, c *cluster, tmpl *resourceapi.ResourceClaimTemplate) {
	t.Helper()
	if _, err := c.client.ResourceV1().ResourceClaimTemplates(tmpl.Namespace).Create(context.Background(), tmpl, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ResourceClaimTemplate %s/%s: %v", tmpl.Namespace, tmpl.Name, err)
	}
}

func createPod(t *testing.T, c *cluster, pod *corev1.Pod) {
	t.Helper()
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
}

// deletePod deletes a pod gracefully, as a user would, and waits until it is gone: the node
// agent (as kubelet) stops the sandbox, unprepares the claims and removes the object.
func deletePod(t *testing.T, c *cluster, ns, name string) {
	t.Helper()
	err := c.client.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting pod %s/%s: %v", ns, name, err)
	}
	waitPodGone(t, c, ns, name)
}
