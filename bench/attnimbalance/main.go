// Command attnimbalance estimates how unevenly a decode step's attention work falls on a GPU's
// streaming multiprocessors (SMs), a candidate for the slowdown real vLLM runs show once a batch of
// long requests stops moving in step: the attention kernel gives each (request, key-value head) pair
// to one SM, so when a GPU holds few key-value heads (a 70B model split over four GPUs holds two)
// there are about as many pairs as SMs, and the step lasts as long as the busiest SM, not the mean.
//
// Each row draws the running requests' contexts uniformly between two lengths (a batch whose
// requests started at different times) or gives them all the mean (a batch that started together),
// hands the pairs to SMs as they free up (list scheduling, in random order, one pair at a time),
// and prints the busiest SM's work over the mean SM's: the factor on the attention's share of the
// step. Handed out longest first instead (vLLM's running list holds the oldest requests, the
// longest contexts, first; whether the kernel keeps that order is its own affair), far less is
// left. It assumes no split of one pair's keys over several SMs (FlashAttention splits them when
// pairs are fewer than SMs, so rows with fewer pairs than SMs overstate it).
//
//	go run ./bench/attnimbalance
package main

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
)

type loads []float64

func (l loads) Len() int           { return len(l) }
func (l loads) Less(i, j int) bool { return l[i] < l[j] }
func (l loads) Swap(i, j int)      { l[i], l[j] = l[j], l[i] }
func (l *loads) Push(x any)        { *l = append(*l, x.(float64)) }
func (l *loads) Pop() any          { old := *l; x := old[len(old)-1]; *l = old[:len(old)-1]; return x }

// busiest is the busiest SM's work over the mean SM's when the pairs are handed out in order.
func busiest(pairs []float64, sms int) float64 {
	h := make(loads, sms)
	total := 0.0
	for _, w := range pairs {
		h[0] += w
		heap.Fix(&h, 0)
		total += w
	}
	return slices.Max(h) / (total / float64(sms))
}

func main() {
	rng := rand.New(rand.NewPCG(1, 2))
	fmt.Println("| batch | context (tokens) | KV heads a GPU | pairs on 132 SMs | busiest / mean, contexts spread, random order | the same, longest first | all at the mean |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range []struct {
		name       string
		seqs       int
		lo, hi     float64
		heads, sms int
	}{
		{"Llama-2-70B TP 4, reasoning (128 running)", 128, 1083, 2530, 2, 132},
		{"Llama-2-70B TP 4, general at 20 req/s (~110 running)", 110, 575, 823, 2, 132},
		{"Llama-2-7B TP 1, reasoning (~66 running, KV-bound)", 66, 1083, 2530, 32, 132},
		{"Llama-2-7B TP 1, general (128 running)", 128, 575, 823, 32, 132},
	} {
		spread, longest := 0.0, 0.0
		const draws = 200
		for range draws {
			var pairs []float64
			for range c.seqs {
				l := c.lo + (c.hi-c.lo)*rng.Float64()
				for range c.heads {
					pairs = append(pairs, l)
				}
			}
			rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
			spread += busiest(pairs, c.sms) / draws
			slices.SortFunc(pairs, func(a, b float64) int { return cmp.Compare(b, a) })
			longest += busiest(pairs, c.sms) / draws
		}
		even := make([]float64, c.seqs*c.heads)
		for i := range even {
			even[i] = (c.lo + c.hi) / 2
		}
		fmt.Printf("| %s | %.0f–%.0f | %d | %d | %.2f | %.2f | %.2f |\n", c.name, c.lo, c.hi, c.heads, c.seqs*c.heads, spread, longest, busiest(even, c.sms))
	}
}
