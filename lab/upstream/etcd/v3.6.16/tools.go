//go:build tools

// Package tools pins the upstream etcd commands the lab runs.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
