//go:build tools

// Package tools pins crictl, which the kubeadm topology's masters carry as kubeadm hosts do.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
