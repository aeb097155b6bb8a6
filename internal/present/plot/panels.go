package plot

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Line is one labelled series of a panel.
type Line struct {
	Label string
	X, Y  []float64
}

func (l Line) points() plotter.XYs {
	pts := make(plotter.XYs, len(l.X))
	for j := range l.X {
		pts[j] = plotter.XY{X: l.X[j], Y: l.Y[j]}
	}
	return pts
}

// Panel is one chart of a stacked figure; panels share the x axis's meaning.
type Panel struct {
	YLabel string
	XLabel string // "minutes" when empty
	Lines  []Line
	Marks  []Line // drawn as points, not joined (anomalies, say)
}

// SavePanels writes panels stacked top to bottom to path (.svg or .png), the x axis in minutes.
func SavePanels(path, title string, panels []Panel) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("plot %s: the file must end in .svg or .png", path)
	}
	xmax := 0.0
	for _, pn := range panels {
		for _, l := range pn.Lines {
			for _, x := range l.X {
				xmax = max(xmax, x)
			}
		}
	}
	rows := make([][]*gplot.Plot, len(panels))
	for i, pn := range panels {
		p := gplot.New()
		if i == 0 {
			p.Title.Text = title
		}
		p.Y.Label.Text = pn.YLabel
		p.X.Label.Text = pn.XLabel
		if p.X.Label.Text == "" {
			p.X.Label.Text = "minutes"
		}
		p.Add(plotter.NewGrid())
		for k, l := range pn.Lines {
			line, err := plotter.NewLine(l.points())
			if err != nil {
				return fmt.Errorf("plot %s: %w", l.Label, err)
			}
			line.Color = seriesColor(k)
			if k >= len(palette) { // more lines than colours: dashes tell the second round apart
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			if l.Label == "load" {
				line.Color = color.Gray{Y: 100}
			}
			p.Add(line)
			p.Legend.Add(l.Label, line)
		}
		for k, m := range pn.Marks {
			sc, err := plotter.NewScatter(m.points())
			if err != nil {
				return fmt.Errorf("plot %s: %w", m.Label, err)
			}
			sc.Color = seriesColor(len(pn.Lines) + k)
			sc.GlyphStyle.Radius = vg.Points(3)
			p.Add(sc)
			p.Legend.Add(m.Label, sc)
		}
		p.Legend.Top = true
		p.X.Min, p.X.Max = 0, xmax // one time axis for every panel
		rows[i] = []*gplot.Plot{p}
	}
	w, h := 10*vg.Inch, vg.Length(len(panels))*3*vg.Inch
	var canvas vg.CanvasWriterTo
	if ext == ".svg" {
		canvas = vgsvg.New(w, h)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	cells := gplot.Align(rows, tiles, draw.New(canvas))
	for i := range rows {
		rows[i][0].Draw(cells[i][0])
	}
	return writeFile(path, writerTo{canvas})
}

type writerTo struct{ c vg.CanvasWriterTo }

func (w writerTo) WriteTo(out io.Writer) (int64, error) { return w.c.WriteTo(out) }

// palette is Okabe and Ito's eight colours, told apart by colour-blind readers too (Okabe & Ito,
// "Color Universal Design", 2008), with black last; gonum's default palette has seven, so the
// policies of a simulate plot repeated colours.
var palette = []color.RGBA{
	{R: 230, G: 159, B: 0, A: 255},   // orange
	{R: 86, G: 180, B: 233, A: 255},  // sky blue
	{R: 0, G: 158, B: 115, A: 255},   // bluish green
	{R: 213, G: 94, B: 0, A: 255},    // vermillion
	{R: 0, G: 114, B: 178, A: 255},   // blue
	{R: 204, G: 121, B: 167, A: 255}, // reddish purple
	{R: 240, G: 228, B: 66, A: 255},  // yellow
	{R: 0, G: 0, B: 0, A: 255},       // black
}

func seriesColor(k int) color.Color { return palette[k%len(palette)] }
