package kube

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// Two headroom replicas campaign for one Lease: one leads; when it stops, the other takes over.
func TestOnlyOneReplicaLeads(t *testing.T) {
	client := fake.NewSimpleClientset().CoordinationV1()
	var leading atomic.Int32
	var maxLeading atomic.Int32
	led := make(chan string, 4)
	run := func(ctx context.Context, id string, wg *sync.WaitGroup) {
		defer wg.Done()
		Election{Client: client, Namespace: "headroom", Name: "headroom-actuator", Identity: id,
			// A Lease counts whole seconds: shorter durations round to 0 and every lease looks expired.
			LeaseDuration: 2 * time.Second, RenewDeadline: 1500 * time.Millisecond, RetryPeriod: 200 * time.Millisecond,
		}.Run(ctx, func(lctx context.Context) {
			n := leading.Add(1)
			if n > maxLeading.Load() {
				maxLeading.Store(n)
			}
			led <- id
			<-lctx.Done()
			leading.Add(-1)
		})
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	var wg sync.WaitGroup
	wg.Add(2)
	go run(ctxA, "a", &wg)
	first := <-led
	go run(ctxB, "b", &wg)
	time.Sleep(3 * time.Second) // b campaigns while a holds the Lease
	if first != "a" || maxLeading.Load() != 1 {
		t.Fatalf("first leader %s, at most %d leading at once", first, maxLeading.Load())
	}
	stopA()
	select {
	case second := <-led:
		if second != "b" {
			t.Errorf("after a stopped, %s leads", second)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b never took over")
	}
	stopB()
	wg.Wait()
	if maxLeading.Load() != 1 {
		t.Errorf("%d replicas led at once", maxLeading.Load())
	}
	if err := (Election{}).Run(context.Background(), func(context.Context) {}); err == nil {
		t.Error("an election without a lease ran")
	}
}
