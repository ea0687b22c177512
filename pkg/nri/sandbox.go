package nri

import (
	"fmt"

	nriapi "github.com/containerd/nri/pkg/api"
)

// netnsPath returns the network namespace path of a sandbox. A pod without a network
// namespace entry shares the host's: that is a hostNetwork pod, and moving a device
// "into" it would strip the device from the node without giving the pod anything new.
func netnsPath(pod *nriapi.PodSandbox) (string, error) {
	for _, ns := range pod.GetLinux().GetNamespaces() {
		if ns.GetType() == "network" && ns.GetPath() != "" {
			return ns.GetPath(), nil
		}
	}
	return "", fmt.Errorf("pod %s/%s uses the host network namespace (hostNetwork: true): "+
		"netclaim devices need the pod's own network namespace; remove hostNetwork or the claim",
		pod.GetNamespace(), pod.GetName())
}

func podRef(pod *nriapi.PodSandbox) string {
	return pod.GetNamespace() + "/" + pod.GetName()
}
