package registry

import (
	"context"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schema.md must list every table and column the migrations create, and
// nothing else, and its example queries must run.
func TestSchemaDocMatchesDatabase(t *testing.T) {
	doc, err := os.ReadFile("index/schema.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	var table string
	heading := regexp.MustCompile("^### ([a-z_]+)$")
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	for _, line := range strings.Split(string(doc), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			table = m[1]
			documented[table] = nil
			continue
		}
		if m := row.FindStringSubmatch(line); m != nil && table != "" {
			documented[table] = append(documented[table], m[1])
		}
	}
	for k := range documented {
		sort.Strings(documented[k])
	}

	db, _ := historyDB(t)
	ctx := context.Background()
	actual := map[string][]string{}
	rows, err := db.idx.SQL().QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		actual[tbl] = append(actual[tbl], col)
	}
	rows.Close()
	if diff := cmp.Diff(actual, documented); diff != "" {
		t.Errorf("schema.md does not match the database (-database +schema.md):\n%s", diff)
	}

	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 5 {
		t.Fatalf("found %d example queries in schema.md", len(blocks))
	}
	for _, b := range blocks {
		rows, err := db.idx.SQL().QueryContext(ctx, b[1])
		if err != nil {
			t.Errorf("example query fails: %v\n%s", err, b[1])
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("example query fails: %v\n%s", err, b[1])
		}
		rows.Close()
		if n == 0 && !strings.Contains(b[1], "failed") {
			t.Errorf("example query returns nothing on a realistic registry:\n%s", b[1])
		}
	}
}
