package steps

// Table is columns and rows of values, for people: a display may sort it
// by any column.
type Table struct {
	// Name is short and lower case: "trials".
	Name string
	// Title says what it is: "Trials".
	Title   string
	Columns []Column
	// Rows hold one Cell per column each, in the order to show them.
	Rows [][]Cell
	// Marked is the index of a row to point out (the best trial), or -1.
	Marked int
}

// Column is a column of a Table.
type Column struct {
	// Name is short, unique in its table and safe in a URL: "mean".
	Name string
	// Title is what a display heads the column with: "mean f1".
	Title string
}

// Cell is a value of a Table: a number, or text.
type Cell struct {
	// Text is the value as shown; for a number, its shortest form unless
	// the kind says otherwise.
	Text string
	// Number is the value to sort by when IsNumber is set.
	Number   float64
	IsNumber bool
}

// NumberCell is a cell that holds a number, shown in its shortest form.
func NumberCell(x float64, text string) Cell { return Cell{Text: text, Number: x, IsNumber: true} }

// TextCell is a cell that holds text.
func TextCell(s string) Cell { return Cell{Text: s} }

// Chart is series of points, each with a spread (from Low to High),
// against one pair of axes.
type Chart struct {
	// Name is short and lower case: "score-by-c".
	Name string
	// Title says what it shows: "f1 against C".
	Title string
	// X and Y name the axes; LogX draws X on a logarithmic scale (every
	// X must then be positive).
	X, Y   string
	LogX   bool
	Series []Series
	// Mark points out one point (the best trial), or is nil.
	Mark *ChartMark
}

// Series is a named line of points of a Chart, in order of X.
type Series struct {
	Name   string
	Points []SpreadPoint
}

// SpreadPoint is a point with the spread of what it summarises: Y is,
// say, a mean over folds, Low and High their smallest and largest.
type SpreadPoint struct{ X, Y, Low, High float64 }

// ChartMark names a point of a chart: its series and its index there.
type ChartMark struct {
	Series, Point int
	Label         string
}
