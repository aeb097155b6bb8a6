package kube

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

var deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func deployment(ns, name string, replicas int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"namespace": ns, "name": name, "resourceVersion": "1"},
		"spec":     map[string]any{"replicas": replicas},
	}}
}

// fakeCluster is the dynamic fake with reactors that serve the scale subresource from the
// deployments the tracker holds, as the API server does: get returns an autoscaling/v1 Scale, and
// update sets spec.replicas unless the Scale's resourceVersion is stale (a conflict).
type fakeCluster struct {
	client    *fake.FakeDynamicClient
	conflicts int // updates to refuse with a conflict before accepting
	updates   int
}

func newCluster(objs ...runtime.Object) *fakeCluster {
	scheme := runtime.NewScheme()
	c := &fakeCluster{client: fake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schema.GroupVersionResource]string{deployments: "DeploymentList"}, objs...)}
	tracker := c.client.Tracker()
	c.client.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		get := a.(k8stesting.GetAction)
		obj, err := tracker.Get(deployments, get.GetNamespace(), get.GetName())
		if err != nil {
			return true, nil, err
		}
		d := obj.(*unstructured.Unstructured)
		n, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		return true, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "autoscaling/v1", "kind": "Scale",
			"metadata": map[string]any{"namespace": d.GetNamespace(), "name": d.GetName(), "resourceVersion": d.GetResourceVersion()},
			"spec":     map[string]any{"replicas": n},
		}}, nil
	})
	c.client.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		c.updates++
		scale := a.(k8stesting.UpdateAction).GetObject().(*unstructured.Unstructured)
		obj, err := tracker.Get(deployments, scale.GetNamespace(), scale.GetName())
		if err != nil {
			return true, nil, err
		}
		d := obj.(*unstructured.Unstructured).DeepCopy()
		if c.conflicts > 0 || scale.GetResourceVersion() != d.GetResourceVersion() {
			c.conflicts--
			// Someone else scaled in between: the stored object moved on.
			d.SetResourceVersion(d.GetResourceVersion() + "x")
			tracker.Update(deployments, d, d.GetNamespace())
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, d.GetName(), nil)
		}
		n, _, _ := unstructured.NestedInt64(scale.Object, "spec", "replicas")
		unstructured.SetNestedField(d.Object, n, "spec", "replicas")
		d.SetResourceVersion(d.GetResourceVersion() + "1")
		return true, scale, tracker.Update(deployments, d, d.GetNamespace())
	})
	return c
}

func (c *fakeCluster) replicas(t *testing.T, ns, name string) int64 {
	t.Helper()
	obj, err := c.client.Tracker().Get(deployments, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	n, _, _ := unstructured.NestedInt64(obj.(*unstructured.Unstructured).Object, "spec", "replicas")
	return n
}

func TestScaleSetsReplicasThroughTheScaleSubresource(t *testing.T) {
	c := newCluster(deployment("llm", "vllm", 3))
	a := New(c.client, false)
	target := Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}
	ctx := context.Background()
	if n, err := a.Replicas(ctx, target); err != nil || n != 3 {
		t.Fatalf("replicas %d, %v", n, err)
	}
	from, err := a.Scale(ctx, target, 7)
	if err != nil || from != 3 || c.replicas(t, "llm", "vllm") != 7 {
		t.Fatalf("scale: from %d, %v; now %d", from, err, c.replicas(t, "llm", "vllm"))
	}
	// The same count writes nothing.
	before := c.updates
	if _, err := a.Scale(ctx, target, 7); err != nil || c.updates != before {
		t.Errorf("a no-op scale updated (%d updates), %v", c.updates-before, err)
	}
}

func TestScaleRetriesOnConflict(t *testing.T) {
	c := newCluster(deployment("llm", "vllm", 2))
	c.conflicts = 2
	from, err := New(c.client, false).Scale(context.Background(), Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}, 5)
	if err != nil || from != 2 || c.replicas(t, "llm", "vllm") != 5 || c.updates != 3 {
		t.Errorf("after two conflicts: from %d, %v, %d replicas, %d updates", from, err, c.replicas(t, "llm", "vllm"), c.updates)
	}
	c.conflicts = 100
	if _, err := New(c.client, false).Scale(context.Background(), Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}, 9); err == nil || !strings.Contains(err.Error(), "still conflicting") {
		t.Errorf("endless conflicts: %v", err)
	}
}

func TestScaleSaysWhatIsWrong(t *testing.T) {
	c := newCluster(deployment("llm", "vllm", 2))
	a := New(c.client, false)
	ctx := context.Background()
	if _, err := a.Scale(ctx, Target{Namespace: "llm", Kind: "Deployment", Name: "nope"}, 3); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing deployment: %v", err)
	}
	if _, err := a.Scale(ctx, Target{Namespace: "llm", Kind: "DaemonSet", Name: "vllm"}, 3); err == nil || !strings.Contains(err.Error(), "Deployment or StatefulSet") {
		t.Errorf("a DaemonSet: %v", err)
	}
	if _, err := a.Scale(ctx, Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}, -1); err == nil {
		t.Error("negative replicas accepted")
	}
	c.client.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments/scale"}, "vllm", nil)
	})
	if _, err := a.Scale(ctx, Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}, 4); err == nil || !strings.Contains(err.Error(), "rbac.yaml") {
		t.Errorf("forbidden: %v", err)
	}
}
