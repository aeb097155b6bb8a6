package kube

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// leases is the resource of a coordination.k8s.io/v1 Lease.
var leases = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}

// Election is a Lease-based leader election among headroom replicas: only the leader actuates.
//
// It follows client-go's leaderelection package (the same Lease fields, the same timing and the
// same release on exit, so the two interoperate on one Lease) but speaks to the API server through
// the dynamic client that already scales workloads. client-go's package brings the typed clientset
// and every informer with it: about 370 packages and 44% of a cold build of headroom, for one
// object. The protocol is small; the tests hold it to its guarantees on a fake API server that
// enforces resourceVersion, and scripts/kube-apiserver.sh against a real one.
type Election struct {
	Client    dynamic.Interface
	Namespace string // where the Lease lives
	Name      string // the Lease's name, e.g. headroom-actuator
	Identity  string // this replica's name (the pod name)
	// LeaseDuration is how long a holder that stops renewing keeps the Lease (15 s when zero);
	// RenewDeadline how long the leader keeps trying to renew before it steps down (10 s);
	// RetryPeriod the interval between tries (2 s). A Lease stores whole seconds: a duration under
	// a second would make every lease look expired.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Now is the clock, time.Now when nil.
	Now func() time.Time
}

// elector is one campaign's state: the last Lease record seen and when it was first seen. A
// holder's lease is judged against the local time its record last changed, never against the
// renew time it wrote, so clocks that disagree between nodes do not matter (client-go does the
// same).
type elector struct {
	Election
	observed     coordinationv1.LeaseSpec
	observedRV   string
	observedTime time.Time
}

// Run calls lead with a context that lives while this replica holds the Lease, and returns when
// ctx ends. On losing the Lease the lead context is cancelled, Run waits for lead to return and
// campaigns again; on ctx's end the Lease is released so another replica takes over at once.
func (e Election) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if e.Client == nil || e.Namespace == "" || e.Name == "" || e.Identity == "" {
		return fmt.Errorf("leader election: client, namespace, lease name and identity are required")
	}
	if e.LeaseDuration > 0 && e.LeaseDuration < time.Second {
		return fmt.Errorf("leader election: lease duration %s is under the Lease's one-second resolution", e.LeaseDuration)
	}
	e.LeaseDuration = orDefault(e.LeaseDuration, 15*time.Second)
	e.RenewDeadline = orDefault(e.RenewDeadline, 10*time.Second)
	e.RetryPeriod = orDefault(e.RetryPeriod, 2*time.Second)
	if e.RenewDeadline >= e.LeaseDuration {
		return fmt.Errorf("leader election: renew deadline %s must be shorter than the lease duration %s", e.RenewDeadline, e.LeaseDuration)
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	el := &elector{Election: e}
	for ctx.Err() == nil {
		if !el.acquire(ctx) {
			break
		}
		lctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); lead(lctx) }()
		el.renew(ctx)
		stop()
		<-done
	}
	el.release()
	return nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// acquire tries every RetryPeriod until this replica holds the Lease (true) or ctx ends (false).
func (el *elector) acquire(ctx context.Context) bool {
	for {
		if el.tryAcquireOrRenew(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(el.RetryPeriod):
		}
	}
}

// renew keeps the Lease until a renewal has failed for RenewDeadline or ctx ends.
func (el *elector) renew(ctx context.Context) {
	lastRenewed := el.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(el.RetryPeriod):
		}
		if el.tryAcquireOrRenew(ctx) {
			lastRenewed = el.Now()
			continue
		}
		if ctx.Err() != nil || el.Now().Sub(lastRenewed) >= el.RenewDeadline || el.heldByOther() {
			return
		}
	}
}

func (el *elector) heldByOther() bool {
	return el.observed.HolderIdentity != nil && *el.observed.HolderIdentity != "" && *el.observed.HolderIdentity != el.Identity
}

// tryAcquireOrRenew reads the Lease and writes this replica into it if it is free, expired or
// already ours. The write carries the resourceVersion that was read, so of two replicas racing
// for an expired Lease the API server lets exactly one through.
func (el *elector) tryAcquireOrRenew(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, el.RenewDeadline)
	defer cancel()
	now := el.Now()
	client := el.Client.Resource(leases).Namespace(el.Namespace)
	obj, err := client.Get(ctx, el.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease := &coordinationv1.Lease{
			TypeMeta:   metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
			ObjectMeta: metav1.ObjectMeta{Namespace: el.Namespace, Name: el.Name},
			Spec:       el.record(now, coordinationv1.LeaseSpec{}),
		}
		u, err := toUnstructured(lease)
		if err != nil {
			return false
		}
		created, err := client.Create(ctx, u, metav1.CreateOptions{FieldManager: "headroom"})
		if err != nil {
			return false
		}
		el.observe(created, now)
		return true
	}
	if err != nil {
		return false
	}
	el.observe(obj, now)
	if el.heldByOther() && el.observedTime.Add(el.LeaseDuration).After(now) {
		return false
	}
	var lease coordinationv1.Lease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &lease); err != nil {
		return false
	}
	lease.Spec = el.record(now, lease.Spec)
	u, err := toUnstructured(&lease)
	if err != nil {
		return false
	}
	updated, err := client.Update(ctx, u, metav1.UpdateOptions{FieldManager: "headroom"})
	if err != nil {
		return false
	}
	el.observe(updated, now)
	return true
}

// record is the Lease spec with this replica as holder: a renewal keeps the acquire time and the
// transition count, a takeover sets the acquire time and counts one more transition.
func (el *elector) record(now time.Time, prev coordinationv1.LeaseSpec) coordinationv1.LeaseSpec {
	t := metav1.NewMicroTime(now)
	seconds := int32(el.LeaseDuration / time.Second)
	spec := coordinationv1.LeaseSpec{HolderIdentity: &el.Identity, LeaseDurationSeconds: &seconds, RenewTime: &t,
		AcquireTime: prev.AcquireTime, LeaseTransitions: prev.LeaseTransitions}
	if prev.HolderIdentity == nil || *prev.HolderIdentity != el.Identity {
		spec.AcquireTime = &t
		n := int32(0)
		if prev.LeaseTransitions != nil {
			n = *prev.LeaseTransitions + 1
		}
		spec.LeaseTransitions = &n
	}
	return spec
}

// observe keeps the Lease as read; a change of its resourceVersion restarts the holder's clock.
func (el *elector) observe(obj *unstructured.Unstructured, now time.Time) {
	var lease coordinationv1.Lease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &lease); err != nil {
		return
	}
	if lease.ResourceVersion != el.observedRV || el.observedTime.IsZero() {
		el.observedRV, el.observedTime = lease.ResourceVersion, now
	}
	el.observed = lease.Spec
}

// release gives the Lease up on the way out, if this replica holds it: the holder is cleared and
// the duration set to one second, so a waiting replica takes over at its next try.
func (el *elector) release() {
	if el.observed.HolderIdentity == nil || *el.observed.HolderIdentity != el.Identity {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), el.RenewDeadline)
	defer cancel()
	client := el.Client.Resource(leases).Namespace(el.Namespace)
	obj, err := client.Get(ctx, el.Name, metav1.GetOptions{})
	if err != nil {
		return
	}
	var lease coordinationv1.Lease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &lease); err != nil {
		return
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != el.Identity {
		return
	}
	now := metav1.NewMicroTime(el.Now())
	one, empty := int32(1), ""
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds = &empty, &one
	lease.Spec.RenewTime, lease.Spec.AcquireTime = &now, &now
	if u, err := toUnstructured(&lease); err == nil {
		client.Update(ctx, u, metav1.UpdateOptions{FieldManager: "headroom"})
	}
}

func toUnstructured(lease *coordinationv1.Lease) (*unstructured.Unstructured, error) {
	lease.APIVersion, lease.Kind = "coordination.k8s.io/v1", "Lease"
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(lease)
	if err != nil {
		return nil, fmt.Errorf("lease to unstructured: %w", err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}
