// Package v1alpha1 holds netclaim's opaque device configuration, NetworkConfig.
//
// A NetworkConfig reaches the driver as an opaque parameter of a DeviceClass (the admin's
// network definition, applied first) or of a ResourceClaim (the pod's choices, applied
// second and overriding). It is decoded strictly: an unknown field is an error, never
// silently ignored, because a typo in a network definition must not yield a pod on the
// wrong network.
package v1alpha1

// GroupName is the API group of NetworkConfig and the DRA driver name.
const GroupName = "netclaim.dev"

// Version is the API version of this package.
const Version = "v1alpha1"

// APIVersion is the apiVersion string NetworkConfig objects must carry.
const APIVersion = GroupName + "/" + Version

// KindNetworkConfig is the kind string NetworkConfig objects must carry.
const KindNetworkConfig = "NetworkConfig"
