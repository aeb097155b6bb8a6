package kube

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

// leaseServer is the dynamic fake with reactors that make Lease writes behave as the API server's
// do: a create of an existing Lease is refused, and an update whose resourceVersion is not the
// stored one is a conflict, so two replicas racing for a Lease cannot both win. The fake's own
// tracker checks neither.
func leaseServer() *fake.FakeDynamicClient {
	client := fake.NewSimpleDynamicClient(runtime.NewScheme())
	tracker := client.Tracker()
	var mu sync.Mutex
	version := 0
	gr := schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	client.PrependReactor("create", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		obj := a.(k8stesting.CreateAction).GetObject().(*unstructured.Unstructured).DeepCopy()
		if _, err := tracker.Get(leases, obj.GetNamespace(), obj.GetName()); err == nil {
			return true, nil, apierrors.NewAlreadyExists(gr, obj.GetName())
		}
		version++
		obj.SetResourceVersion(strconv.Itoa(version))
		return true, obj, tracker.Create(leases, obj, obj.GetNamespace())
	})
	client.PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		obj := a.(k8stesting.UpdateAction).GetObject().(*unstructured.Unstructured).DeepCopy()
		stored, err := tracker.Get(leases, obj.GetNamespace(), obj.GetName())
		if err != nil {
			return true, nil, err
		}
		if stored.(*unstructured.Unstructured).GetResourceVersion() != obj.GetResourceVersion() {
			return true, nil, apierrors.NewConflict(gr, obj.GetName(), nil)
		}
		version++
		obj.SetResourceVersion(strconv.Itoa(version))
		return true, obj, tracker.Update(leases, obj, obj.GetNamespace())
	})
	return client
}

func holder(t *testing.T, client *fake.FakeDynamicClient) (string, int64) {
	t.Helper()
	obj, err := client.Tracker().Get(leases, "headroom", "headroom-actuator")
	if err != nil {
		t.Fatal(err)
	}
	u := obj.(*unstructured.Unstructured)
	id, _, _ := unstructured.NestedString(u.Object, "spec", "holderIdentity")
	transitions, _, _ := unstructured.NestedInt64(u.Object, "spec", "leaseTransitions")
	return id, transitions
}

// Three headroom replicas campaign for one Lease: one leads at a time; when the leader stops, it
// releases the Lease and another takes over well before the lease would have expired.
func TestOnlyOneReplicaLeadsAndAReleasedLeaseIsTakenAtOnce(t *testing.T) {
	client := leaseServer()
	var leading, maxLeading atomic.Int32
	led := make(chan string, 8)
	run := func(ctx context.Context, id string, wg *sync.WaitGroup) {
		defer wg.Done()
		err := Election{Client: client, Namespace: "headroom", Name: "headroom-actuator", Identity: id,
			LeaseDuration: 5 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 100 * time.Millisecond,
		}.Run(ctx, func(lctx context.Context) {
			n := leading.Add(1)
			for m := maxLeading.Load(); n > m && !maxLeading.CompareAndSwap(m, n); m = maxLeading.Load() {
			}
			led <- id
			<-lctx.Done()
			leading.Add(-1)
		})
		if err != nil {
			t.Error(err)
		}
	}
	ctxs := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, id := range []string{"a", "b", "c"} {
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[id] = cancel
		defer cancel()
		wg.Add(1)
		go run(ctx, id, &wg)
	}
	first := <-led
	time.Sleep(time.Second) // the others campaign against a held Lease for ten retry periods
	if id, _ := holder(t, client); id != first || maxLeading.Load() != 1 {
		t.Fatalf("leader %s, Lease held by %s, at most %d leading at once", first, id, maxLeading.Load())
	}
	start := time.Now()
	ctxs[first]()
	select {
	case second := <-led:
		if second == first {
			t.Errorf("%s led again after it stopped", first)
		}
		if waited := time.Since(start); waited > 2*time.Second {
			t.Errorf("takeover after %s: the released Lease was waited out instead of taken", waited)
		}
		if id, transitions := holder(t, client); id != second || transitions != 1 {
			t.Errorf("Lease held by %q after %d transitions, want %s after 1", id, transitions, second)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nobody took over")
	}
	for _, cancel := range ctxs {
		cancel()
	}
	wg.Wait()
	if maxLeading.Load() != 1 {
		t.Errorf("%d replicas led at once", maxLeading.Load())
	}
}

// A leader that cannot renew (the API server refuses its writes) steps down within the renew
// deadline, before its lease expires for the others.
func TestALeaderThatCannotRenewStepsDown(t *testing.T) {
	client := leaseServer()
	var refuse atomic.Bool
	client.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if refuse.Load() {
			return true, nil, apierrors.NewServiceUnavailable("etcd is away")
		}
		return false, nil, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stepped := make(chan time.Duration, 1)
	go Election{Client: client, Namespace: "headroom", Name: "headroom-actuator", Identity: "a",
		LeaseDuration: 4 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
	}.Run(ctx, func(lctx context.Context) {
		refuse.Store(true)
		start := time.Now()
		<-lctx.Done()
		select {
		case stepped <- time.Since(start):
		default:
		}
	})
	select {
	case d := <-stepped:
		if d < 900*time.Millisecond || d > 3*time.Second {
			t.Errorf("stepped down after %s, want about the 1 s renew deadline", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader kept leading without renewing")
	}
}

func TestElectionRefusesIncompleteSettings(t *testing.T) {
	client := leaseServer()
	for name, e := range map[string]Election{
		"no lease":                 {Client: client, Namespace: "n", Identity: "a"},
		"no client":                {Namespace: "n", Name: "l", Identity: "a"},
		"sub-second lease":         {Client: client, Namespace: "n", Name: "l", Identity: "a", LeaseDuration: 500 * time.Millisecond},
		"deadline after the lease": {Client: client, Namespace: "n", Name: "l", Identity: "a", LeaseDuration: 5 * time.Second, RenewDeadline: 6 * time.Second},
	} {
		if err := e.Run(context.Background(), func(context.Context) {}); err == nil {
			t.Errorf("%s: the election ran", name)
		}
	}
}
