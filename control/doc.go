// Package control is headroom's one control tick: a typed observation of a service goes in (its
// arrival-rate history, running and waiting requests, KV use, latency, pods), and the state comes
// out: the forecast (fitted once), the policy's decision behind the shared safety layer, the
// latency the replica model predicts at that decision, the SLO books and the health judgement.
//
// The serve loop builds the observation from metrics and the simulator's fleet from its replicas;
// both call Tick on a Service built by the same factory (autoscale.Build), so what `headroom
// simulate` judges is what `headroom serve` runs. The package does no I/O and reads no clock: the
// time of a tick is passed in.
package control
