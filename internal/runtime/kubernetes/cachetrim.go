package kubernetes

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/informers"
)

// trimmed is the informer option that passes each object through
// dropManagedFields before it is cached.
func trimmed() informers.SharedInformerOption { return informers.WithTransform(dropManagedFields) }

// dropManagedFields removes what no reader of the caches uses: the managed
// fields the API server keeps for server-side apply, often the larger part
// of a pod's metadata. With a thousand runs tracked, each of their pods is
// cached twice (the namespace's watch and admission's cluster-wide one).
func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
