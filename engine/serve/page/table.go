package page

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/steps"
)

// checkSort checks the query's sort=TABLE.COLUMN and order=asc|desc
// against the tables a page shows: a sort that names no column of them,
// or another order, is the request's mistake, answered with what they
// take.
func checkSort(tables []steps.Table, q url.Values) error {
	if o := q.Get("order"); q.Has("order") && o != "asc" && o != "desc" {
		return fmt.Errorf("order must be asc or desc, not %s", api.Echo(o))
	}
	if !q.Has("sort") {
		return nil
	}
	var keys []string
	for _, t := range tables {
		for _, c := range t.Columns {
			if q.Get("sort") == t.Name+"."+c.Name {
				return nil
			}
			keys = append(keys, t.Name+"."+c.Name)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("sort %s: this page has no table to sort; leave sort out", api.Echo(q.Get("sort")))
	}
	return fmt.Errorf("sort %s names no column of this page's tables; it takes TABLE.COLUMN, one of %s",
		api.Echo(q.Get("sort")), strings.Join(keys, ", "))
}

// shownTable is a steps.Table sorted as a request asked, for the "table"
// template: each heading links the order it would switch to, so sorting
// works without scripts (sort.js sorts in place when scripts run).
type shownTable struct {
	Name, Title string
	Columns     []shownColumn
	Rows        []shownRow
}

type shownColumn struct {
	Title string
	// Href sorts by this column; Sort is "ascending" or "descending"
	// when the table is sorted by it (aria-sort).
	Href, Sort, Key string
}

type shownRow struct {
	Cells  []steps.Cell
	Marked bool
}

// sortedTable sorts t as the query asks: sort=TABLE.COLUMN and
// order=asc|desc (ascending by default). An unknown sort leaves the
// table in its own order.
func sortedTable(t steps.Table, q url.Values) shownTable {
	st := shownTable{Name: t.Name, Title: t.Title}
	table, column, _ := strings.Cut(q.Get("sort"), ".")
	desc := q.Get("order") == "desc"
	by := -1
	for i, c := range t.Columns {
		if table == t.Name && c.Name == column {
			by = i
		}
	}
	for i, r := range t.Rows {
		st.Rows = append(st.Rows, shownRow{Cells: r, Marked: i == t.Marked})
	}
	if by >= 0 {
		sort.SliceStable(st.Rows, func(i, j int) bool {
			if desc {
				return less(st.Rows[j].Cells, st.Rows[i].Cells, by)
			}
			return less(st.Rows[i].Cells, st.Rows[j].Cells, by)
		})
	}
	for i, c := range t.Columns {
		sc := shownColumn{Title: c.Title, Key: t.Name + "." + c.Name}
		order := "asc"
		if i == by {
			sc.Sort = "ascending"
			if desc {
				sc.Sort = "descending"
			} else {
				order = "desc"
			}
		}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("sort", sc.Key)
		v.Set("order", order)
		sc.Href = "?" + v.Encode()
		st.Columns = append(st.Columns, sc)
	}
	return st
}

// less orders two rows by a column: numbers by value before text, text
// by its characters.
func less(a, b []steps.Cell, col int) bool {
	if col >= len(a) || col >= len(b) {
		return false
	}
	x, y := a[col], b[col]
	switch {
	case x.IsNumber && y.IsNumber:
		return x.Number < y.Number
	case x.IsNumber != y.IsNumber:
		return x.IsNumber
	}
	return x.Text < y.Text
}

// sortValue is a cell's value for sort.js.
func sortValue(c steps.Cell) string {
	if c.IsNumber {
		return strconv.FormatFloat(c.Number, 'g', -1, 64)
	}
	return c.Text
}
