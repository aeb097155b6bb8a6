package logs

import (
	"strings"
	"unicode"
)

// Wildcard stands for a variable part of a template.
const Wildcard = "<*>"

// Miner groups messages into templates the way Drain does: messages of the same length whose first
// tokens agree share a leaf of a fixed-depth tree, and within a leaf a message joins the most
// similar template when enough of its tokens agree, the disagreeing positions becoming wildcards.
// Tokens that look like values (numbers, hex, addresses, identifiers with digits) are masked
// before anything else. Add costs O(depth + clusters in one leaf).
type Miner struct {
	Depth       int     // tokens of prefix the tree branches on, plus the length layer (4 when zero: two tokens)
	Similarity  float64 // share of positions that must agree to join a template (0.4 when zero)
	MaxChildren int     // branches per node before the rest share a wildcard branch (100 when zero)

	root     map[int]*node
	clusters []*Cluster
}

// Cluster is one template and what joined it.
type Cluster struct {
	ID       int      `json:"id"`
	Template []string `json:"-"`
	Count    int      `json:"count"`
	Example  string   `json:"example"` // the first message that made it
}

// String is the template with its wildcards.
func (c *Cluster) String() string { return strings.Join(c.Template, " ") }

type node struct {
	children map[string]*node
	clusters []*Cluster
}

// Add mines one message and returns its cluster (new or existing).
func (m *Miner) Add(message string) *Cluster {
	depth, maxChildren := or(m.Depth, 4), or(m.MaxChildren, 100)
	sim := m.Similarity
	if sim == 0 {
		sim = 0.4
	}
	tokens := Tokens(message)
	if m.root == nil {
		m.root = map[int]*node{}
	}
	n := m.root[len(tokens)]
	if n == nil {
		n = &node{children: map[string]*node{}}
		m.root[len(tokens)] = n
	}
	for i := 0; i < depth-2 && i < len(tokens); i++ {
		key := tokens[i]
		if hasDigit(key) {
			key = Wildcard
		}
		child := n.children[key]
		if child == nil {
			if len(n.children) >= maxChildren {
				key = Wildcard
				child = n.children[key]
			}
			if child == nil {
				child = &node{children: map[string]*node{}}
				n.children[key] = child
			}
		}
		n = child
	}
	var best *Cluster
	bestSim, bestParams := -1.0, -1
	for _, c := range n.clusters {
		s, params := similarity(c.Template, tokens)
		if s > bestSim || (s == bestSim && params > bestParams) {
			best, bestSim, bestParams = c, s, params
		}
	}
	if best != nil && bestSim >= sim {
		for i, t := range tokens {
			if best.Template[i] != t {
				best.Template[i] = Wildcard
			}
		}
		best.Count++
		return best
	}
	c := &Cluster{ID: len(m.clusters) + 1, Template: tokens, Count: 1, Example: message}
	n.clusters = append(n.clusters, c)
	m.clusters = append(m.clusters, c)
	return c
}

// Clusters are the templates mined so far, in the order they appeared.
func (m *Miner) Clusters() []*Cluster { return m.clusters }

// similarity is the share of positions where the template has the token (wildcards do not count
// as agreement), and the template's wildcard count (to prefer the more general on a tie).
func similarity(template, tokens []string) (float64, int) {
	if len(template) == 0 {
		return 1, 0
	}
	same, params := 0, 0
	for i, t := range template {
		switch {
		case t == Wildcard:
			params++
		case t == tokens[i]:
			same++
		}
	}
	return float64(same) / float64(len(template)), params
}

// Tokens splits a message on white space and masks the tokens that are values: numbers with or
// without a unit (250ms, 3.5GB, 42%), addresses (10.0.0.7:8080), dates and times, hex ids and
// UUIDs, and the value of key=value. Names with a digit in them (gpt-4o, http2, v1) stay. So
// "timeout after 250ms on 10.0.0.7" and "timeout after 3s on 10.0.0.9" share a template from the
// start.
func Tokens(message string) []string {
	fields := strings.Fields(message)
	for i, f := range fields {
		if k, v, ok := strings.Cut(f, "="); ok && k != "" && isValue(v) {
			fields[i] = k + "=" + Wildcard
		} else if isValue(f) {
			fields[i] = Wildcard
		}
	}
	return fields
}

// isValue says whether a token is a value rather than a word.
func isValue(tok string) bool {
	tok = strings.Trim(tok, "()[]{}<>,;:'\"")
	if tok == "" {
		return false
	}
	digits, letters, hex := 0, 0, true
	for _, r := range tok {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters++
			if !strings.ContainsRune("abcdefABCDEF", r) {
				hex = false
			}
		case r != '-' && r != 'x':
			hex = false
		}
	}
	if digits == 0 {
		return false
	}
	first := tok[0]
	if (first >= '0' && first <= '9') || ((first == '-' || first == '+') && len(tok) > 1) {
		return letters <= 3 || hex // 250ms, 3.5GB, 10.0.0.7:8080, 2026-11-27T04:00:00Z, 5f3a9c…
	}
	return hex && len(tok) >= 8 // deadbeef01, 0x7ff3a2c1, UUIDs
}

func hasDigit(s string) bool {
	for _, r := range s {
		if unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func or(x, def int) int {
	if x == 0 {
		return def
	}
	return x
}
