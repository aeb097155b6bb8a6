package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/cost"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

func newCostCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "cost", Short: "Total cost of ownership, unit costs, and savings checked against the SLO"}
	var catalogPath string
	cmd.PersistentFlags().StringVar(&catalogPath, "catalog", "", "a price catalogue to overlay on the default one (entries with the same name replace it)")

	report := &cobra.Command{
		Use:   "report FLEET",
		Short: "TCO, cost per query and per million tokens, and the breakdown by category",
		Long: `report prices a fleet file (see examples/fleet.yaml): each service's instances at their pricing
(on_demand, spot, reserved, or owned servers amortised over their life down to a residual value),
storage, network and licences, and the fleet's personnel, maintenance, development and deployment,
CAPEX amortised. It prints the monthly total and its breakdown, the TCO over the horizon, cost per
query, per 1,000 queries and per million input and output tokens (split by the accelerator time
prefill and decode take, from the replica profile), per GPU-hour actually used, the idle cost, and
build-versus-buy against the APIs the fleet names.

  headroom cost report examples/fleet.yaml
  headroom cost report examples/fleet.yaml -o json`,
		Args: oneFile("cost report"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, f, cat, err := fleetCommand(g, args[0], catalogPath)
			if err != nil {
				return err
			}
			r, err := cost.TCO(f, cat)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, costReport{r})
		},
	}

	var sloFlag, tracePath, traceService string
	optimize := &cobra.Command{
		Use:   "optimize FLEET",
		Short: "Savings ranked by monthly amount, each checked against the SLO",
		Long: `optimize looks for savings in each service of a fleet and checks every one against the service's
SLO with the batch replica model at its peak rate, before recommending it:

  rightsizing   below 30% utilisation, size to 70%, never below what the SLO needs
  accelerator   the cheapest instance type, among those with a profile for the model, whose
                SLO-sized fleet costs least
  spot          the preemption-tolerant share on spot prices (risk: what losing it at peak does)
  off_peak      replicas that follow the daily profile, down to zero in idle hours
  batch_window  the deferrable share of the load moved into the quiet hours: a flatter peak
  caching       a prefix or semantic cache at the given (or the trace's) hit ratio
  model_optimization  quantisation or a smaller model, as a throughput factor

With --trace, the trace's rate, request shape and prefix reuse become the service's traffic, and
every configuration a recommendation rests on is also replayed through the simulator on the trace:
the SLO must hold there too (predicted.simulated has the replay's figures).

An opportunity the model says breaks the SLO, or that cannot be checked (no replica profile for
the instance), is listed as not recommended with the reason, as is one under its threshold
(scheduling 10%, caching 5%, model optimisation 15% of the service's compute).

  headroom cost optimize examples/fleet.yaml
  headroom cost optimize examples/fleet.yaml --slo ttft_p95=300ms,itl=20ms
  headroom cost optimize examples/fleet.yaml --trace workload/testdata/mooncake-200.jsonl --service chat`,
		Args: oneFile("cost optimize"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, f, cat, err := fleetCommand(g, args[0], catalogPath)
			if err != nil {
				return err
			}
			var notes []string
			if sloFlag != "" {
				targets, err := queueing.ParseTargets(sloFlag, queueing.ForLLM)
				if err != nil {
					return usagef("--slo: %v", err)
				}
				for i := range f.Services {
					f.Services[i].Targets = targets
				}
			}
			if tracePath != "" {
				note, err := applyTrace(&f, tracePath, traceService)
				if err != nil {
					return err
				}
				notes = append(notes, note)
			}
			plan, err := cost.Optimize(f, cat, cost.DefaultThresholds())
			if err != nil {
				return err
			}
			plan.Notes = append(notes, plan.Notes...)
			return output.Write(cmd.OutOrStdout(), format, costPlan{plan})
		},
	}
	optimize.Flags().StringVar(&sloFlag, "slo", "", "SLO for every service, replacing the fleet file's: ttft_p95=500ms,itl=24ms")
	optimize.Flags().StringVar(&tracePath, "trace", "", "a request trace (Azure, BurstGPT, Mooncake, CSV) whose rate, shape and prefix reuse replace a service's traffic")
	optimize.Flags().StringVar(&traceService, "service", "", "the service --trace describes (default: the first)")

	catalog := &cobra.Command{
		Use:   "catalog",
		Short: "Show and check the price catalogue, and warn about old prices",
		Long: `catalog prints the price catalogue (the default one, with --catalog FILE overlaid): every price
with the date it held and its source. It fails on a catalogue with negative prices, an unknown
currency or a price without a date or source, and warns about prices over a year old.

  headroom cost catalog
  headroom cost catalog --catalog my-prices.yaml -o yaml`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			cat, err := loadCatalog(catalogPath)
			if err != nil {
				return err
			}
			stale := cat.Stale(time.Now(), 365*24*time.Hour)
			for _, s := range stale {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is over a year old: check it\n", s)
			}
			return output.Write(cmd.OutOrStdout(), format, costCatalog{cat})
		},
	}
	cmd.AddCommand(report, optimize, catalog)
	return cmd
}

func oneFile(name string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("%s takes one fleet file, got %d arguments", name, len(args))
		}
		return nil
	}
}

// fleetCommand is what report and optimize start with: the output format and the fleet.
func fleetCommand(g *globals, path, catalogPath string) (output.Format, cost.Fleet, cost.Catalog, error) {
	format, err := g.format()
	if err != nil {
		return "", cost.Fleet{}, cost.Catalog{}, err
	}
	f, cat, err := loadFleet(path, catalogPath)
	return format, f, cat, err
}

// loadCatalog is the default catalogue with a user's overlaid.
func loadCatalog(path string) (cost.Catalog, error) {
	cat := cost.DefaultCatalog()
	if path == "" {
		return cat, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cost.Catalog{}, fmt.Errorf("read catalogue: %w", err)
	}
	over, err := cost.ParseCatalog(data)
	if err != nil {
		return cost.Catalog{}, fmt.Errorf("%s: %w", path, err)
	}
	merged, err := cost.Merge(cat, over)
	if err != nil {
		return cost.Catalog{}, fmt.Errorf("%s: %w", path, err)
	}
	return merged, nil
}

// loadFleet reads a fleet file, the catalogue it names (relative to it) or --catalog, and the
// replica profiles its services name.
func loadFleet(path, catalogFlag string) (cost.Fleet, cost.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return cost.Fleet{}, cost.Catalog{}, fmt.Errorf("read fleet: %w", err)
	}
	dir := filepath.Dir(path)
	// The fleet's own catalogue line is read before the fleet is checked against prices.
	var head struct {
		Catalog string `yaml:"catalog"`
	}
	_ = yaml.Unmarshal(data, &head) // loose: ParseFleet below reports what is wrong, with lines
	catPath := catalogFlag
	if catPath == "" && head.Catalog != "" {
		catPath = filepath.Join(dir, head.Catalog)
	}
	cat, err := loadCatalog(catPath)
	if err != nil {
		return cost.Fleet{}, cost.Catalog{}, err
	}
	f, err := cost.ParseFleet(data, cat)
	if err != nil {
		return cost.Fleet{}, cost.Catalog{}, fmt.Errorf("%s: %w", path, err)
	}
	for i := range f.Services {
		s := &f.Services[i]
		s.Models = map[string]queueing.LLMProfile{}
		for instance, p := range s.Profiles {
			pf, err := config.LoadProfile(filepath.Join(dir, p))
			if err != nil {
				return cost.Fleet{}, cost.Catalog{}, fmt.Errorf("%s: service %s: profile for %s: %w", path, s.Name, instance, err)
			}
			prof := pf.Profile()
			// The service's request shape is the fleet's, not the profile's assumption.
			if s.Traffic.InputTokens > 0 || s.Traffic.OutputTokens > 0 {
				prof.InTokens, prof.OutTokens = s.Traffic.InputTokens, s.Traffic.OutputTokens
			}
			if err := prof.Validate(); err != nil {
				return cost.Fleet{}, cost.Catalog{}, fmt.Errorf("%s: service %s: profile for %s: %w", path, s.Name, instance, err)
			}
			s.Models[instance] = prof
		}
	}
	return f, cat, nil
}

// applyTrace replaces a service's traffic with a trace's, and its prefix hit ratio with the
// trace's prefix reuse when the fleet gives none.
func applyTrace(f *cost.Fleet, path, service string) (string, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read trace: %w", err)
	}
	defer file.Close()
	t, err := workload.Read(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	tt, err := cost.TrafficFromTrace(t)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	idx := 0
	if service != "" {
		idx = -1
		for i, s := range f.Services {
			if s.Name == service {
				idx = i
			}
		}
		if idx < 0 {
			return "", usagef("--service %q: the fleet has no such service", service)
		}
	}
	s := &f.Services[idx]
	s.Traffic = tt.Traffic
	s.Trace = &t
	for k, p := range s.Models {
		p.InTokens, p.OutTokens = tt.Traffic.InputTokens, tt.Traffic.OutputTokens
		s.Models[k] = p
	}
	note := fmt.Sprintf("%s: traffic from %s: %.4g req/s peak over %.0f s windows, %.0f in and %.0f out tokens a request",
		s.Name, filepath.Base(path), tt.Traffic.PeakRPS, tt.Window, tt.Traffic.InputTokens, tt.Traffic.OutputTokens)
	if tt.PrefixReuse != nil && s.Cache.PrefixHitRatio == 0 {
		s.Cache.PrefixHitRatio = *tt.PrefixReuse
		note += fmt.Sprintf("; %.0f%% of prompt blocks reused (the prefix hit ratio)", 100**tt.PrefixReuse)
	}
	return note, nil
}

type costReport struct{ cost.Report }

func (r costReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	c := r.Currency
	fmt.Fprintf(tw, "fleet\t%s (%s, TCO over %d months)\n", r.Fleet, c, r.HorizonMonths)
	fmt.Fprintf(tw, "monthly total\t%s\n", money(r.MonthlyTotal, c))
	keys := make([]string, 0, len(r.Breakdown))
	for k := range r.Breakdown {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return r.Breakdown[keys[i]] > r.Breakdown[keys[j]] })
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%s (%s)\n", k, money(r.Breakdown[k], c), output.Percent(r.Breakdown[k]/r.MonthlyTotal))
	}
	fmt.Fprintf(tw, "TCO\t%s (CAPEX %s, OPEX %s a month)\n", money(r.TCO, c), money(r.CapexTotal, c), money(r.OpexMonthly, c))
	fmt.Fprintf(tw, "queries\t%.4g a month\n", r.QueriesPerMonth)
	fmt.Fprintf(tw, "per 1,000 queries\t%s\n", money(r.CostPer1kQueries, c))
	fmt.Fprintf(tw, "per 1M tokens\t%s input, %s output\n", money(r.CostPerMillionTokens.Input, c), money(r.CostPerMillionTokens.Output, c))
	fmt.Fprintf(tw, "per GPU-hour used\t%s (idle cost %s a month)\n", money(r.CostPerGPUHourUsed, c), money(r.IdleCost, c))
	for _, s := range r.Services {
		fmt.Fprintf(tw, "service %s\t%d × %s (%s, %d GPUs): %s a month, %s per 1,000 queries, %s per GPU-hour used\n", s.Name, s.Instances, s.Instance, s.Pricing, s.GPUs,
			money(s.Monthly, c), money(s.CostPer1kQueries, c), money(s.CostPerGPUHourUsed, c))
	}
	for _, b := range r.BuildVsBuy {
		fmt.Fprintf(tw, "vs %s\t%s a month at its token prices: %s is cheaper", b.API, money(b.Monthly, c), b.Cheaper)
		if b.BreakEvenQPM > 0 {
			fmt.Fprintf(tw, " (equal at %.3g queries a month)", b.BreakEvenQPM)
		}
		fmt.Fprintln(tw)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

func money(v float64, currency string) string {
	switch {
	case math.IsNaN(v):
		return "none"
	case v >= 100:
		return fmt.Sprintf("%s %s", commas(v), currency)
	case v >= 1:
		return fmt.Sprintf("%.2f %s", v, currency)
	}
	return fmt.Sprintf("%.4g %s", v, currency)
}

// commas writes a whole amount with thousands separators: 1234567 → 1,234,567.
func commas(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

type costPlan struct{ cost.Plan }

func (p costPlan) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "SAVING/MONTH\tKIND\tSERVICE\tRISK\tSLO\tWHAT\n")
	for _, o := range p.Opportunities {
		slo := "ok"
		if !o.SLOOK {
			slo = "BREAKS"
		}
		what := o.Title
		if !o.Recommended {
			what = "not recommended: " + o.Title + ": " + o.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", money(o.MonthlySaving, p.Currency), o.Kind, o.Service, o.Risk, slo, what)
		if o.Recommended && o.Predicted != nil {
			pr := o.Predicted
			fmt.Fprintf(tw, "\t\t\t\t\tpredicted: %d × %s, %d replicas at %.0f%% utilisation; p95 TTFT %.0f ms, ITL %.1f ms, p95 e2e %.0f ms\n",
				pr.Instances, pr.Instance, pr.Replicas, 100*pr.Utilization, pr.TTFTP95Ms, pr.ITLMeanMs, pr.E2EP95Ms)
			if sm := pr.Simulated; sm != nil {
				fmt.Fprintf(tw, "\t\t\t\t\treplayed: %d requests of the trace, %.1f%% within every limit; p95 TTFT %.0f ms, ITL %.1f ms, p95 e2e %.0f ms\n",
					sm.Requests, 100*sm.Attainment, sm.TTFTP95Ms, sm.ITLMeanMs, sm.E2EP95Ms)
			}
			for _, s := range o.Steps {
				fmt.Fprintf(tw, "\t\t\t\t\t- %s\n", s)
			}
		}
	}
	fmt.Fprintf(tw, "\nrecommended\t%s a month with all of them taken together (each counted on what the others leave; the plain sum, %s, double-counts their overlap)\n",
		money(p.CombinedSaving, p.Currency), money(p.TotalSaving, p.Currency))
	for _, n := range p.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

type costCatalog struct{ cost.Catalog }

func (c costCatalog) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "catalogue\t%s, assembled %s\n", c.Currency, c.AsOf)
	fmt.Fprintf(tw, "\nINSTANCE\tACCELERATORS\tPRICING\tPER HOUR\tAS OF\tSOURCE\n")
	for _, in := range c.Instances {
		for _, pr := range []struct {
			name string
			p    *cost.Price
		}{{"on_demand", in.OnDemand}, {"spot", in.Spot}, {"reserved", in.Reserved}, {"purchase", in.Purchase}} {
			if pr.p == nil {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d × %s\t%s\t%s\t%s\t%s\n", in.Name, in.Accelerators, in.Accelerator, pr.name, priceText(pr.p.Amount, c.Currency), pr.p.AsOf, sourceText(*pr.p))
		}
	}
	if len(c.Items) > 0 {
		fmt.Fprintf(tw, "\nITEM\tUNIT\tPRICE\t\tAS OF\tSOURCE\n")
		for _, it := range c.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\t%s\n", it.Name, it.Unit, priceText(it.Price.Amount, c.Currency), it.Price.AsOf, sourceText(it.Price))
		}
	}
	if len(c.APIs) > 0 {
		fmt.Fprintf(tw, "\nAPI\tPER 1M INPUT\tPER 1M OUTPUT\t\tAS OF\tSOURCE\n")
		for _, a := range c.APIs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\t%s\n", a.Name, priceText(a.Input.Amount, c.Currency), priceText(a.Output.Amount, c.Currency), a.Input.AsOf, sourceText(a.Input))
		}
	}
	return tw.Flush()
}

// priceText writes a catalogue price as published: 1.006, 98.32, 0.15.
func priceText(v float64, currency string) string {
	if v >= 1000 {
		return money(v, currency)
	}
	return fmt.Sprintf("%g %s", v, currency)
}

func sourceText(p cost.Price) string {
	if p.Note != "" {
		return p.Source + " (" + p.Note + ")"
	}
	return p.Source
}
