// Package analyze is the performance analysis of a fleet's metrics history: it estimates the
// arrival rate, the service rate, the number of servers and the utilisation (by the utilisation law,
// never from response time alone), tests whether arrivals are Poisson, finds the bottleneck
// resource and its correlation with latency, and sizes the fleet for a stated growth in load, with
// recommendations that cite the numbers behind them. It does no I/O: parsers read from an
// io.Reader the caller opens.
package analyze
