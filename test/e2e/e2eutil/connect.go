package e2eutil

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// SharedEnv connects a suite to its environment once, for all its tests, and remembers
// why it could not: every test then skips or fails with the same reason.
type SharedEnv[T any] struct {
	once    sync.Once
	value   T
	skip    string
	failure error
}

// Get returns the environment, connecting on the first call. connect returns a non-empty
// skip reason when the suite must not run here (that skips the test) or an error when it
// should have been able to (that fails it, naming what was being connected to).
func (e *SharedEnv[T]) Get(t testing.TB, what string, connect func() (T, string, error)) T {
	t.Helper()
	e.once.Do(func() { e.value, e.skip, e.failure = connect() })
	if e.skip != "" {
		t.Skip(e.skip)
	}
	if e.failure != nil {
		t.Fatalf("connecting to %s: %v", what, e.failure)
	}
	return e.value
}

// NewClientset makes a clientset from the kubeconfig file. qps and burst set the
// client-side rate limit; zero keeps client-go's defaults.
func NewClientset(kubeconfig, userAgent string, qps float32, burst int) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.UserAgent = userAgent
	cfg.QPS, cfg.Burst = qps, burst
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for kubeconfig %s: %w", kubeconfig, err)
	}
	return client, nil
}

// EnvOr returns the environment variable name, or def when it is unset or empty.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Exists reports whether path exists (any error counts as no).
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
