package kube

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election is a Lease-based leader election among headroom replicas: only the leader actuates.
type Election struct {
	Client    coordinationv1.LeasesGetter
	Namespace string // where the Lease lives
	Name      string // the Lease's name, e.g. headroom-actuator
	Identity  string // this replica's name (the pod name)
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's; 15 s, 10 s and 2 s when zero.
	// A Lease stores whole seconds: a duration under a second makes every lease look expired.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Run calls lead with a context that lives while this replica holds the Lease, and returns when
// ctx ends. On losing the Lease the lead context is cancelled and Run campaigns again; on ctx's
// end the Lease is released so another replica takes over at once.
func (e Election) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if e.Namespace == "" || e.Name == "" || e.Identity == "" {
		return fmt.Errorf("leader election: namespace, lease name and identity are required")
	}
	if e.LeaseDuration > 0 && e.LeaseDuration < time.Second {
		return fmt.Errorf("leader election: lease duration %s is under the Lease's one-second resolution", e.LeaseDuration)
	}
	d := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.Namespace, Name: e.Name},
		Client:     e.Client,
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.Identity},
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: lock, ReleaseOnCancel: true, Name: e.Name,
			LeaseDuration: d(e.LeaseDuration, 15*time.Second), RenewDeadline: d(e.RenewDeadline, 10*time.Second),
			RetryPeriod: d(e.RetryPeriod, 2*time.Second),
			Callbacks:   leaderelection.LeaderCallbacks{OnStartedLeading: lead, OnStoppedLeading: func() {}},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		le.Run(ctx) // returns when leadership is lost or ctx ends
	}
	return nil
}
