package e2eutil

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CreateTestNamespace creates a namespace named after the test (see NamespacePrefix)
// and returns its name. The caller frees it at cleanup, usually with FreeNamespace.
func CreateTestNamespace(t testing.TB, client kubernetes.Interface) string {
	t.Helper()
	ns, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: NamespacePrefix(t.Name())},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// NamespacePrefix turns a test name into the start of a DNS label: lower case, runs of
// anything but letters and digits as one dash, short enough for the random suffix and
// for DeviceClass names built from the namespace.
func NamespacePrefix(testName string) string {
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

// FreeNamespace frees what a test held in the namespace, then deletes the namespace
// without waiting for it: the namespace controller takes seconds to finish even an empty
// one, and what the next test needs is only the devices. They are free once the pods are
// gone (kubelet or the node agent unprepared their claims) and the claims are gone
// (deallocated). Each wait polls every interval for up to timeout.
func FreeNamespace(t testing.TB, client kubernetes.Interface, name string, interval, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	pods := client.CoreV1().Pods(name)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Errorf("deleting the pods of namespace %s: %v", name, err)
	}
	Poll(t, "the pods of namespace "+name+" gone", interval, timeout, func(ctx context.Context) (bool, error) {
		list, err := pods.List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) == 0, err
	})
	claims := client.ResourceV1().ResourceClaims(name)
	if err := claims.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Errorf("deleting the claims of namespace %s: %v", name, err)
	}
	Poll(t, "the claims of namespace "+name+" gone", interval, timeout, func(ctx context.Context) (bool, error) {
		list, err := claims.List(ctx, metav1.ListOptions{})
		return err == nil && len(list.Items) == 0, err
	})
	err := client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("deleting namespace %s: %v", name, err)
	}
}
