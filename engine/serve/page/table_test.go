package page

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/steps"
)

func TestSortedTable(t *testing.T) {
	tab := steps.Table{Name: "trials", Columns: []steps.Column{{Name: "trial"}, {Name: "penalty"}, {Name: "mean"}}, Marked: 1, Rows: [][]steps.Cell{
		{steps.NumberCell(1, "1"), steps.TextCell("l2"), steps.NumberCell(0.5, "0.5")},
		{steps.NumberCell(2, "2"), steps.TextCell("l1"), steps.NumberCell(0.9, "0.9")},
		{steps.NumberCell(3, "3"), steps.TextCell("l2"), steps.NumberCell(0.7, "0.7")},
	}}
	order := func(st shownTable) string {
		var out []string
		for _, r := range st.Rows {
			out = append(out, r.Cells[0].Text)
		}
		return strings.Join(out, ",")
	}
	for query, want := range map[string]string{
		"":                                   "1,2,3",
		"sort=trials.mean":                   "1,3,2",
		"sort=trials.mean&order=desc":        "2,3,1",
		"sort=trials.penalty":                "2,1,3",
		"sort=other.mean":                    "1,2,3",
		"sort=trials.nothing&order=desc":     "1,2,3",
		"sort=trials.mean&order=desc&page=2": "2,3,1",
	} {
		q, _ := url.ParseQuery(query)
		st := sortedTable(tab, q)
		if got := order(st); got != want {
			t.Errorf("%q: %s, want %s", query, got, want)
		}
		if !st.Rows[indexOf(st, "2")].Marked {
			t.Errorf("%q: the marked row lost its mark", query)
		}
	}
	q, _ := url.ParseQuery("sort=trials.mean&page=2")
	st := sortedTable(tab, q)
	if c := st.Columns[2]; c.Sort != "ascending" || !strings.Contains(c.Href, "order=desc") || !strings.Contains(c.Href, "page=2") {
		t.Errorf("the sorted column: %+v", c)
	}
	if c := st.Columns[0]; c.Sort != "" || !strings.Contains(c.Href, "sort=trials.trial") || !strings.Contains(c.Href, "order=asc") {
		t.Errorf("another column: %+v", c)
	}
}

func indexOf(st shownTable, first string) int {
	for i, r := range st.Rows {
		if r.Cells[0].Text == first {
			return i
		}
	}
	return -1
}

func TestDrawChart(t *testing.T) {
	c := drawChart(steps.Chart{LogX: true, Series: []steps.Series{{Name: "a", Points: []steps.SpreadPoint{
		{X: 0.01, Y: 0.5, Low: 0.4, High: 0.6}, {X: 10, Y: 0.8, Low: 0.7, High: 0.9},
	}}}, Mark: &steps.ChartMark{Point: 1}})
	var labels []string
	for _, tk := range c.XTicks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0.01 0.1 1 10" {
		t.Errorf("log ticks %s", got)
	}
	p := c.Series[0].Points
	if !(p[0].X < p[1].X && p[0].Y > p[1].Y && p[0].High < p[0].Y && p[0].Y < p[0].Low) {
		t.Errorf("points %+v: higher values must be drawn higher (smaller y)", p)
	}
	for _, pt := range p {
		if pt.X < c.Left || pt.X > c.Right || pt.High < c.Top || pt.Low > c.Bottom {
			t.Errorf("%+v is outside the plot", pt)
		}
	}
	if c.Mark == nil || c.Mark.X != p[1].X {
		t.Errorf("mark %+v", c.Mark)
	}
	if empty := drawChart(steps.Chart{}); len(empty.Series) != 0 {
		t.Error("an empty chart has series")
	}
}

// TestCheckSort: a sort or order the page's tables do not take is the
// request's mistake, answered with what they take.
func TestCheckSort(t *testing.T) {
	tabs := []steps.Table{{Name: "trials", Columns: []steps.Column{{Name: "trial"}, {Name: "mean"}}}}
	for query, want := range map[string]string{
		"":                                   "",
		"sort=trials.mean":                   "",
		"sort=trials.mean&order=desc":        "",
		"order=asc":                          "",
		"sort=trials.nothing":                `sort "trials.nothing" names no column of this page's tables; it takes TABLE.COLUMN, one of trials.trial, trials.mean`,
		"sort=mean":                          `sort "mean" names no column`,
		"sort=":                              `sort "" names no column`,
		"sort=trials.mean&order=up":          `order must be asc or desc, not "up"`,
		"order=" + strings.Repeat("x", 5000): "bytes more",
	} {
		q, _ := url.ParseQuery(query)
		err := checkSort(tabs, q)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: %v, want %q", query, err, want)
		}
	}
	q, _ := url.ParseQuery("sort=trials.mean")
	if err := checkSort(nil, q); err == nil || !strings.Contains(err.Error(), "no table to sort") {
		t.Errorf("a page without tables: %v", err)
	}
}
