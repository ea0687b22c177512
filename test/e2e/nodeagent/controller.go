package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

const (
	// podWorkers pods are started or torn down at once, as kubelet's per-pod workers
	// would; the NRI runtime side serialises the hooks themselves anyway.
	podWorkers = 4
	// retryBase and retryMax bound the per-pod backoff after a failed step; kubelet waits
	// about 10 s between syncs of a failing pod.
	retryBase = 250 * time.Millisecond
	retryMax  = 10 * time.Second
	// uidIndex finds a pod in the informer cache by UID: work is keyed by UID so a pod
	// replaced by a new one of the same name is torn down, not confused with it.
	uidIndex = "uid"
)

// runPodController watches the pods bound to the node and reconciles each until ctx
// ends. Work in flight then finishes (on a context that is not cancelled) before it
// returns, so no pod is left between two recorded steps needlessly.
func (a *Agent) runPodController(ctx context.Context) error {
	factory := informers.NewSharedInformerFactoryWithOptions(a.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.cfg.NodeName).String()
		}))
	podInformer := factory.Core().V1().Pods().Informer()
	if err := podInformer.AddIndexers(cache.Indexers{uidIndex: podUIDIndexFunc}); err != nil {
		return fmt.Errorf("indexing pods by UID: %w", err)
	}
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[types.UID](retryBase, retryMax),
		workqueue.TypedRateLimitingQueueConfig[types.UID]{Name: "pods"})
	if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { enqueuePod(queue, obj) },
		UpdateFunc: func(_, obj any) { enqueuePod(queue, obj) },
		DeleteFunc: func(obj any) { enqueuePod(queue, obj) },
	}); err != nil {
		return fmt.Errorf("watching pods: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.HasSynced) {
		return fmt.Errorf("pod informer did not sync: %w", context.Cause(ctx))
	}
	// A pod deleted while the agent was down sends no event; its record is the reminder.
	for _, rec := range a.store.list() {
		queue.Add(rec.UID)
	}

	workCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range podWorkers {
		wg.Go(func() {
			for a.processNextPod(workCtx, queue, podInformer.GetIndexer()) {
			}
		})
	}
	<-ctx.Done()
	queue.ShutDownWithDrain()
	wg.Wait()
	return nil
}

func (a *Agent) processNextPod(ctx context.Context, queue workqueue.TypedRateLimitingInterface[types.UID], pods cache.Indexer) bool {
	uid, shutdown := queue.Get()
	if shutdown {
		return false
	}
	defer queue.Done(uid)
	pod, err := podByUID(pods, uid)
	if err == nil {
		err = a.reconcile(ctx, uid, pod)
	}
	if err == nil {
		queue.Forget(uid)
		return true
	}
	logger := klog.FromContext(ctx).WithValues("uid", uid)
	if pod != nil {
		logger = logger.WithValues("pod", klog.KObj(pod))
	}
	if errors.Is(err, errClaimsPending) {
		logger.V(2).Info("Waiting for resource claims", "reason", err)
	} else {
		logger.Error(err, "Pod sync failed; retrying")
	}
	queue.AddRateLimited(uid)
	return true
}

// podByUID returns the cached pod with uid, or nil when there is none.
func podByUID(pods cache.Indexer, uid types.UID) (*corev1.Pod, error) {
	objs, err := pods.ByIndex(uidIndex, string(uid))
	if err != nil {
		return nil, fmt.Errorf("looking up pod %s: %w", uid, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	return objs[0].(*corev1.Pod), nil
}

func podUIDIndexFunc(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("expected a pod, got %T", obj)
	}
	return []string{string(pod.UID)}, nil
}

func enqueuePod(queue workqueue.TypedRateLimitingInterface[types.UID], obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		queue.Add(pod.UID)
	}
}
