package trigger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed five-field cron expression in a time zone.
//
// It is our own small parser rather than a dependency: serve needs one
// method, Next, and the semantics below are short enough to test
// completely.
type Schedule struct {
	expr              string
	loc               *time.Location
	minute, hour, dom uint64
	month, dow        uint64
	domStar, dowStar  bool
}

// macros are the @-forms Vixie cron accepts (minus @reboot).
var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

var monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// field describes one of the five fields.
type field struct {
	name     string
	min, max int
	names    map[string]int
}

var fields = [5]field{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, monthNames},
	{"day of week", 0, 7, dayNames}, // 7 is Sunday too
}

// ParseSchedule parses a cron expression as Vixie cron (and a Kubernetes
// CronJob) reads it: five fields separated by spaces,
//
//	minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC)
//	day-of-week (0-7 or SUN-SAT, 0 and 7 are Sunday)
//
// each a list of items separated by commas, an item being *, a number, a
// name, a range a-b, or any of those but a name followed by /step (*/15,
// 10-50/20, 5/10 meaning 5-max/10). @yearly, @annually, @monthly, @weekly,
// @daily, @midnight and @hourly stand for their usual expressions. When
// both day fields are restricted (neither starts with *), a day matches
// when either matches, as in Vixie cron: "0 0 1 * MON" is the first of the
// month and every Monday.
//
// loc is the time zone the fields are read in; nil means UTC. In a zone
// with daylight saving time, a wall-clock time that does not exist is
// skipped and one that happens twice fires twice; UTC has neither.
func ParseSchedule(expr string, loc *time.Location) (*Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	text := strings.TrimSpace(expr)
	if m, ok := macros[strings.ToLower(text)]; ok {
		text = m
	} else if strings.HasPrefix(text, "@") {
		return nil, fmt.Errorf("serve: schedule %q: unknown macro; use @yearly, @monthly, @weekly, @daily, @hourly or five fields", expr)
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return nil, fmt.Errorf("serve: schedule %q has %d fields, want 5: minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\" for 02:00 every day", expr, len(parts))
	}
	s := &Schedule{expr: strings.Join(parts, " "), loc: loc}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return nil, fmt.Errorf("serve: schedule %q: %w", expr, err)
		}
		sets[i] = set
	}
	s.minute, s.hour, s.dom, s.month, s.dow = sets[0], sets[1], sets[2], sets[3], sets[4]
	if s.dow&(1<<7) != 0 {
		s.dow = s.dow&^(1<<7) | 1
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("serve: schedule %q never fires (no month has that day)", expr)
	}
	return s, nil
}

// parseField returns the set of values one field allows, as a bit mask.
func parseField(text string, f field) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(text, ",") {
		if item == "" {
			return 0, fmt.Errorf("%s field %q has an empty item", f.name, text)
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.max {
				return 0, fmt.Errorf("%s field: step %q must be a whole number from 1 to %d", f.name, stepText, f.max)
			}
			step = n
		}
		var lo, hi int
		switch {
		case rng == "*":
			lo, hi = f.min, f.max
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			if hi, err = value(b, f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s field: range %q runs backwards; write %d-%d", f.name, rng, hi, lo)
			}
		default:
			var err error
			if lo, err = value(rng, f); err != nil {
				return 0, err
			}
			hi = lo
			if hasStep {
				hi = f.max // "5/10" is "5-max/10"
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value parses one number or name of a field and checks its range.
func value(text string, f field) (int, error) {
	if n, ok := f.names[strings.ToLower(text)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		what := "a number"
		if f.names != nil {
			what = "a number or a name such as " + map[bool]string{true: "JAN", false: "MON"}[f.max == 12]
		}
		return 0, fmt.Errorf("%s field: %q is not %s", f.name, text, what)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s field: %d is out of range %d-%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

// String returns the expression, with fields separated by single spaces,
// and the time zone.
func (s *Schedule) String() string {
	return s.expr + " " + s.loc.String()
}

// Location is the time zone the schedule is read in.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first time strictly after t that the schedule matches,
// at the start of its minute, or the zero time when there is none within
// five years.
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.In(s.loc)
	// The start of the next whole minute (offsets are whole minutes).
	t = t.Add(time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	limit := t.Year() + 5
	for t.Year() <= limit {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, s.loc)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.loc)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = t.Add(time.Duration(60-t.Minute()) * time.Minute)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// dayMatches applies Vixie cron's rule: when either day field is *, both
// must match (the * one always does); when both are restricted, either
// may.
func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
