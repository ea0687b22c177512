package main

import (
	"fmt"
	"io"
	"strings"

	resourceapi "k8s.io/api/resource/v1"
)

func (v podView) print(w io.Writer) {
	p := v.pod
	node := p.Spec.NodeName
	if node == "" {
		node = "(not scheduled)"
	}
	fmt.Fprintf(w, "pod %s/%s  %s on %s\n", p.Namespace, p.Name, p.Status.Phase, node)
	for _, c := range v.claims {
		fmt.Fprintf(w, "  claim %s (%s)\n", c.name, c.source)
		if len(c.devices) == 0 {
			fmt.Fprintln(w, "    not allocated")
		}
		for _, d := range c.devices {
			fmt.Fprintf(w, "    %-6s -> %s/%s  [%s]\n", d.request, d.id.pool, d.id.device, d.attrs.summary())
			fmt.Fprintf(w, "    %-6s    status: %s\n", "", statusLine(d.status))
		}
	}
	if v.netns == "" {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "  inside the pod (netns %s):\n", v.netns)
	if v.netnsErr != nil {
		fmt.Fprintf(w, "    cannot read it: %v\n\n", v.netnsErr)
		return
	}
	for _, l := range v.links {
		fmt.Fprintf(w, "    %s\n", l)
	}
	for _, r := range v.routes {
		fmt.Fprintf(w, "    route %s\n", r)
	}
	fmt.Fprintln(w)
}

// statusLine renders what the driver reported for a device in the claim's status.
func statusLine(st *resourceapi.AllocatedDeviceStatus) string {
	if st == nil {
		return "none reported (yet)"
	}
	var parts []string
	for _, c := range st.Conditions {
		s := c.Type + "=" + string(c.Status)
		if c.Message != "" {
			s += " (" + c.Message + ")"
		}
		parts = append(parts, s)
	}
	if nd := st.NetworkData; nd != nil {
		parts = append(parts, strings.Join(append([]string{"networkData", nd.InterfaceName, nd.HardwareAddress}, nd.IPs...), " "))
	}
	return strings.Join(parts, ", ")
}
