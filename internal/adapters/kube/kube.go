// Package kube acts on headroom's decisions in Kubernetes: it sets the replicas of a Deployment or a
// StatefulSet through the scale subresource (the same door kubectl scale and the HPA use), with the
// dynamic client, get–modify–update and a retry on conflict, and it can elect one leader among
// several headroom replicas with a Lease so that only one acts.
package kube

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
)

// Target names a scalable workload.
type Target struct {
	Namespace string
	Kind      string // Deployment or StatefulSet
	Name      string
}

func (t Target) String() string { return t.Kind + " " + t.Namespace + "/" + t.Name }

func (t Target) resource() (schema.GroupVersionResource, error) {
	switch t.Kind {
	case "Deployment":
		return schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, nil
	case "StatefulSet":
		return schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("%s: kind %q: want Deployment or StatefulSet", t, t.Kind)
}

// Actuator scales targets.
type Actuator struct {
	client dynamic.Interface
	dryRun bool
}

// New makes an actuator on a dynamic client. With dryRun, updates go to the API server with
// dryRun=All: validated and admitted, never stored (recommend-only with a real check).
func New(client dynamic.Interface, dryRun bool) *Actuator {
	return &Actuator{client: client, dryRun: dryRun}
}

// Config reads a kubeconfig file, or the in-cluster service account when the path is empty and
// headroom runs in a pod.
func Config(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		if c, err := rest.InClusterConfig(); err == nil {
			return c, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	c, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes config: %w", err)
	}
	return c, nil
}

// Replicas reads a target's spec.replicas from its scale subresource.
func (a *Actuator) Replicas(ctx context.Context, t Target) (int, error) {
	scale, err := a.getScale(ctx, t)
	if err != nil {
		return 0, err
	}
	n, _, err := unstructured.NestedInt64(scale.Object, "spec", "replicas")
	if err != nil {
		return 0, fmt.Errorf("%s: scale: %w", t, err)
	}
	return int(n), nil
}

func (a *Actuator) getScale(ctx context.Context, t Target) (*unstructured.Unstructured, error) {
	gvr, err := t.resource()
	if err != nil {
		return nil, err
	}
	s, err := a.client.Resource(gvr).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{}, "scale")
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%s: not found: %w", t, err)
		}
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("%s: forbidden: headroom's service account needs get and update on %s/scale (deploy/rbac.yaml): %w", t, gvr.Resource, err)
		}
		return nil, fmt.Errorf("%s: get scale: %w", t, err)
	}
	return s, nil
}

// Scale sets a target's replicas and returns what they were: get the scale subresource, change
// spec.replicas, update it, and on a conflict (someone else changed it in between) read and try
// again. Setting the count it already has writes nothing.
func (a *Actuator) Scale(ctx context.Context, t Target, replicas int) (int, error) {
	if replicas < 0 {
		return 0, fmt.Errorf("%s: replicas must be ≥ 0, got %d", t, replicas)
	}
	gvr, err := t.resource()
	if err != nil {
		return 0, err
	}
	from := -1
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := a.getScale(ctx, t)
		if err != nil {
			return err
		}
		n, _, err := unstructured.NestedInt64(scale.Object, "spec", "replicas")
		if err != nil {
			return fmt.Errorf("%s: scale: %w", t, err)
		}
		from = int(n)
		if from == replicas {
			return nil
		}
		if err := unstructured.SetNestedField(scale.Object, int64(replicas), "spec", "replicas"); err != nil {
			return err
		}
		opts := metav1.UpdateOptions{FieldManager: "headroom"}
		if a.dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err = a.client.Resource(gvr).Namespace(t.Namespace).Update(ctx, scale, opts, "scale")
		return err
	})
	if err != nil {
		if apierrors.IsConflict(err) {
			return from, fmt.Errorf("%s: still conflicting after retries: %w", t, err)
		}
		var status apierrors.APIStatus
		if errors.As(err, &status) && apierrors.IsForbidden(err) {
			return from, fmt.Errorf("%s: forbidden: headroom's service account needs update on %s/scale (deploy/rbac.yaml): %w", t, gvr.Resource, err)
		}
		return from, err
	}
	return from, nil
}
