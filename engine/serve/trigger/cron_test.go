package trigger

import (
	"strings"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		expr, after string
		want        []string // successive Next times
	}{
		{"0 2 * * *", "2026-11-25 01:59:59", []string{"2026-11-25 02:00:00", "2026-11-26 02:00:00"}},
		{"0 2 * * *", "2026-11-25 02:00:00", []string{"2026-11-26 02:00:00"}},
		{"*/15 * * * *", "2026-11-25 10:07:30", []string{"2026-11-25 10:15:00", "2026-11-25 10:30:00", "2026-11-25 10:45:00", "2026-11-25 11:00:00"}},
		{"* * * * *", "2026-12-31 23:59:00", []string{"2027-01-01 00:00:00", "2027-01-01 00:01:00"}},
		{"5/20 * * * *", "2026-11-25 10:00:00", []string{"2026-11-25 10:05:00", "2026-11-25 10:25:00", "2026-11-25 10:45:00", "2026-11-25 11:05:00"}},
		{"10-50/20 9-17 * * *", "2026-11-25 08:00:00", []string{"2026-11-25 09:10:00", "2026-11-25 09:30:00", "2026-11-25 09:50:00", "2026-11-25 10:10:00"}},
		{"0 0,12 * * *", "2026-11-25 06:00:00", []string{"2026-11-25 12:00:00", "2026-11-26 00:00:00"}},
		// 2026-11-25 is a Wednesday.
		{"30 8 * * MON-FRI", "2026-11-27 09:00:00", []string{"2026-11-30 08:30:00", "2026-12-01 08:30:00"}},
		{"0 0 * * 7", "2026-11-25 00:00:00", []string{"2026-11-29 00:00:00", "2026-12-06 00:00:00"}},
		{"0 0 * * sun,sat", "2026-11-25 00:00:00", []string{"2026-11-28 00:00:00", "2026-11-29 00:00:00", "2026-12-05 00:00:00"}},
		// Vixie's OR: both day fields restricted.
		{"0 0 1 * MON", "2026-11-25 00:00:00", []string{"2026-11-30 00:00:00", "2026-12-01 00:00:00", "2026-12-07 00:00:00"}},
		// A * day field (even */2) means AND.
		{"0 0 */2 * MON", "2026-11-25 00:00:00", []string{"2026-12-07 00:00:00", "2026-12-21 00:00:00"}},
		{"0 0 13 * *", "2026-11-25 00:00:00", []string{"2026-12-13 00:00:00", "2027-01-13 00:00:00"}},
		{"0 0 31 * *", "2026-11-25 00:00:00", []string{"2026-12-31 00:00:00", "2027-01-31 00:00:00", "2027-03-31 00:00:00"}},
		{"0 0 29 2 *", "2026-03-01 00:00:00", []string{"2028-02-29 00:00:00", "2032-02-29 00:00:00"}},
		{"0 12 * jun-aug *", "2026-11-25 00:00:00", []string{"2027-06-01 12:00:00", "2027-06-02 12:00:00"}},
		{"@daily", "2026-11-25 13:00:00", []string{"2026-11-26 00:00:00"}},
		{"@hourly", "2026-11-25 13:00:00", []string{"2026-11-25 14:00:00"}},
		{"@weekly", "2026-11-25 13:00:00", []string{"2026-11-29 00:00:00"}},
		{"@monthly", "2026-11-25 13:00:00", []string{"2026-12-01 00:00:00"}},
		{"@YEARLY", "2026-11-25 13:00:00", []string{"2027-01-01 00:00:00"}},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.expr, nil)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		at := utc(c.after)
		for _, w := range c.want {
			got := s.Next(at)
			if !got.Equal(utc(w)) {
				t.Errorf("%q after %s: got %s, want %s", c.expr, at.Format(time.DateTime), got.Format(time.DateTime), w)
				break
			}
			at = got
		}
	}
}

func TestScheduleTimeZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	s, err := ParseSchedule("0 2 * * *", paris)
	if err != nil {
		t.Fatal(err)
	}
	// 02:00 in Paris in winter is 01:00 UTC.
	got := s.Next(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("got %s, want %s", got.UTC(), want)
	}
	// On 2027-03-28 Paris skips from 02:00 to 03:00: that day has no
	// 02:00, so the next run is the day after.
	got = s.Next(time.Date(2027, 3, 27, 1, 30, 0, 0, time.UTC))
	if want := time.Date(2027, 3, 29, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("across the spring gap: got %s, want %s", got.UTC(), want)
	}
	// On 2027-10-31 Paris goes from 03:00 back to 02:00: 02:30 happens
	// twice and fires twice.
	s, _ = ParseSchedule("30 2 * * *", paris)
	first := s.Next(time.Date(2027, 10, 30, 23, 0, 0, 0, time.UTC))
	second := s.Next(first)
	if first.UTC() != time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC) || second.UTC() != time.Date(2027, 10, 31, 1, 30, 0, 0, time.UTC) {
		t.Errorf("across the autumn repeat: %s then %s", first.UTC(), second.UTC())
	}
	if !strings.Contains(s.String(), "Europe/Paris") {
		t.Errorf("String() = %q", s.String())
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := map[string]string{
		"":                 "has 0 fields",
		"* * * *":          "has 4 fields",
		"* * * * * *":      "has 6 fields",
		"60 * * * *":       "minute field: 60 is out of range 0-59",
		"* 24 * * *":       "hour field: 24 is out of range 0-23",
		"* * 0 * *":        "day of month field: 0 is out of range 1-31",
		"* * * 13 *":       "month field: 13 is out of range 1-12",
		"* * * * 8":        "day of week field: 8 is out of range 0-7",
		"* * * foo *":      `month field: "foo" is not a number or a name such as JAN`,
		"* * * * funday":   `day of week field: "funday" is not a number or a name such as MON`,
		"5-1 * * * *":      `range "5-1" runs backwards`,
		"*/0 * * * *":      `step "0" must be`,
		"*/x * * * *":      `step "x" must be`,
		"1,,2 * * * *":     "empty item",
		"0 0 30 2 *":       "never fires",
		"@reboot":          "unknown macro",
		"x * * * *":        `minute field: "x" is not a number`,
		"0 0 31 4,6,9 *":   "never fires",
		"0 0 * * MON-FRI/": `step ""`,
	}
	for expr, want := range cases {
		_, err := ParseSchedule(expr, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", expr, err, want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "serve: ") {
			t.Errorf("%q: error %q lacks the package prefix", expr, err)
		}
	}
}
