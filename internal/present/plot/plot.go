// Package plot draws a forecast: the history, the forecast and its interval bands, to SVG or PNG
// (chosen by the file's extension), with gonum/plot.
package plot

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"time"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Band is a prediction interval to shade.
type Band struct {
	Label        string
	Lower, Upper []float64
}

// Forecast is what a forecast plot shows; times are per point.
type Forecast struct {
	Title        string
	HistoryTimes []time.Time
	History      []float64
	Times        []time.Time
	Values       []float64
	Bands        []Band // widest first
}

// Save writes the plot to path: .svg or .png.
func Save(f Forecast, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("plot %s: the file must end in .svg or .png", path)
	}
	f.HistoryTimes, f.History = recentHistory(f)
	p := gplot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = "load"
	p.X.Tick.Marker = gplot.TimeTicks{Format: "01-02 15:04"}
	p.Add(plotter.NewGrid())
	shades := []color.RGBA{{R: 66, G: 133, B: 244, A: 50}, {R: 66, G: 133, B: 244, A: 90}}
	for i, b := range f.Bands {
		poly := make(plotter.XYs, 0, 2*len(f.Times))
		for j, t := range f.Times {
			poly = append(poly, plotter.XY{X: unix(t), Y: b.Upper[j]})
		}
		for j := len(f.Times) - 1; j >= 0; j-- {
			poly = append(poly, plotter.XY{X: unix(f.Times[j]), Y: b.Lower[j]})
		}
		shape, err := plotter.NewPolygon(poly)
		if err != nil {
			return fmt.Errorf("plot band: %w", err)
		}
		shape.Color = shades[i%len(shades)]
		shape.LineStyle.Width = 0
		p.Add(shape)
		p.Legend.Add(b.Label, shape)
	}
	history, err := plotter.NewLine(xys(f.HistoryTimes, f.History))
	if err != nil {
		return fmt.Errorf("plot history: %w", err)
	}
	history.Color = color.RGBA{A: 255}
	forecast, err := plotter.NewLine(xys(f.Times, f.Values))
	if err != nil {
		return fmt.Errorf("plot forecast: %w", err)
	}
	forecast.Color = color.RGBA{R: 25, G: 90, B: 200, A: 255}
	forecast.Width = vg.Points(1.5)
	p.Add(history, forecast)
	p.Legend.Add("history", history)
	p.Legend.Add("forecast", forecast)
	if len(f.Times) > 0 { // where the forecast starts
		lo, hi := p.Y.Min, p.Y.Max
		start, err := plotter.NewLine(plotter.XYs{{X: unix(f.Times[0]), Y: lo}, {X: unix(f.Times[0]), Y: hi}})
		if err == nil {
			start.Color = color.Gray{Y: 120}
			start.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(start)
		}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	w, err := p.WriterTo(10*vg.Inch, 4*vg.Inch, strings.TrimPrefix(ext, "."))
	if err != nil {
		return fmt.Errorf("render plot: %w", err)
	}
	return writeFile(path, w)
}

// recentHistory keeps the part of the history a reader compares the forecast with: three times
// the horizon's span, and at least a day, so that a short forecast after weeks of history is not
// squeezed into the plot's last pixels.
func recentHistory(f Forecast) ([]time.Time, []float64) {
	if len(f.Times) == 0 || len(f.HistoryTimes) == 0 {
		return f.HistoryTimes, f.History
	}
	span := f.Times[len(f.Times)-1].Sub(f.HistoryTimes[len(f.HistoryTimes)-1])
	from := f.Times[0].Add(-max(3*span, 24*time.Hour))
	i := 0
	for i < len(f.HistoryTimes) && f.HistoryTimes[i].Before(from) {
		i++
	}
	return f.HistoryTimes[i:], f.History[i:]
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func xys(ts []time.Time, vs []float64) plotter.XYs {
	out := make(plotter.XYs, len(vs))
	for i := range vs {
		out[i] = plotter.XY{X: unix(ts[i]), Y: vs[i]}
	}
	return out
}
