package v1alpha1

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Decode parses one NetworkConfig from JSON or YAML. Decoding is strict: unknown or
// duplicate fields, numbers that overflow their field, and a wrong apiVersion or kind are
// errors, so a typo never silently changes what a pod gets.
func Decode(data []byte) (*NetworkConfig, error) {
	var cfg NetworkConfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", KindNetworkConfig, err)
	}
	if cfg.APIVersion != APIVersion {
		return nil, fmt.Errorf("apiVersion: unsupported value %q: must be %q", cfg.APIVersion, APIVersion)
	}
	if cfg.Kind != KindNetworkConfig {
		return nil, fmt.Errorf("kind: unsupported value %q: must be %q", cfg.Kind, KindNetworkConfig)
	}
	return &cfg, nil
}
