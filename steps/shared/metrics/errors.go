package metrics

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors, matched with errors.Is against the [*DataError] that
// every function returns for bad input (ErrSettings wraps into a plain
// error that names the field).
var (
	// ErrEmpty means there are no rows, or no row has a non-zero weight.
	ErrEmpty = errors.New("metrics: no data")
	// ErrLength means labels, scores and weights differ in length.
	ErrLength = errors.New("metrics: length mismatch")
	// ErrValue means a label, score or weight is not allowed (NaN, Inf, a
	// label other than 0 or 1, a probability outside [0, 1], a negative
	// weight).
	ErrValue = errors.New("metrics: invalid value")
	// ErrOneClass means a metric needs both classes (or at least the
	// positive one) and the data has only one with non-zero weight.
	ErrOneClass = errors.New("metrics: only one class")
	// ErrThreshold means a threshold is NaN (or, in [Settings], not
	// finite).
	ErrThreshold = errors.New("metrics: invalid threshold")
	// ErrSettings means a field of [Settings] is out of range.
	ErrSettings = errors.New("invalid settings")
)

// DataError is a problem with the data given to a function of this
// package. Callers that know where the rows came from (a file, a fold)
// translate Row into a file row.
type DataError struct {
	// Field is "labels", "scores" or "weights", or empty for a problem
	// with the data as a whole.
	Field string
	// Row is the 0-based index of the offending row, or -1.
	Row int
	// Reason says what is wrong and how to fix it.
	Reason string
	// Err is one of the sentinel errors above.
	Err error
}

func (e *DataError) Error() string {
	s := "metrics: "
	if e.Field != "" {
		s += e.Field
		if e.Row >= 0 {
			s += "[" + strconv.Itoa(e.Row) + "]"
		}
		s += ": "
	}
	return s + e.Reason
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *DataError) Unwrap() error { return e.Err }

func dataErrorf(sentinel error, field string, row int, format string, args ...any) *DataError {
	return &DataError{Field: field, Row: row, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
