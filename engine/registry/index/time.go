package index

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// timeLayout is how times are stored: UTC, milliseconds, fixed width, so
// that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime is a time as the index stores it.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads a stored time; NULL or empty is the zero time.
func ParseTime(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		// Written by hand or by another tool: accept any RFC 3339 time.
		t, _ = time.Parse(time.RFC3339Nano, s.String)
	}
	return t.UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// JSONIDs encodes ids as a JSON array, for `IN (SELECT value FROM
// json_each(?))`: one parameter however many IDs.
func JSONIDs(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	b.WriteByte(']')
	return b.String()
}
