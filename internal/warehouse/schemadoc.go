package warehouse

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// SchemaObject is one table or view as its migration documents it.
type SchemaObject struct {
	Name        string
	Kind        string // table or view
	Migration   string // file name
	Description string
	Columns     []SchemaColumn // documented columns, in the order documented
	Types       map[string]string
	Order       []string // columns of a table in DDL order
	ReplacedBy  string   // migration that dropped and re-created it, if any
	DroppedBy   string   // migration that dropped it for good, if any
}

// addColumn records a column added by ALTER TABLE ... ADD COLUMN on line i,
// documented by the comment block above the run of ALTER lines it is in.
func addColumn(objs []SchemaObject, lines []string, i int, table, column, typ string) {
	for k := len(objs) - 1; k >= 0; k-- {
		o := &objs[k]
		if o.Name != table || o.ReplacedBy != "" {
			continue
		}
		o.Types[column] = typ
		o.Order = append(o.Order, column)
		j := i - 1
		for j >= 0 && strings.HasPrefix(lines[j], "ALTER TABLE ") {
			j--
		}
		start := j + 1
		for start > 0 && strings.HasPrefix(lines[start-1], "--") {
			start--
		}
		var doc SchemaObject
		parseBlock(&doc, lines[start:j+1])
		for _, c := range doc.Columns {
			for _, n := range c.Names {
				if n == column && !o.Documents(column) {
					o.Columns = append(o.Columns, SchemaColumn{Names: []string{column}, Meaning: c.Meaning})
				}
			}
		}
		return
	}
}

// SchemaColumn is one documented entry: the column names it covers and
// their meaning.
type SchemaColumn struct {
	Names   []string
	Meaning string
}

// Documents reports whether column is among the documented names.
func (o SchemaObject) Documents(column string) bool {
	for _, c := range o.Columns {
		for _, n := range c.Names {
			if n == column {
				return true
			}
		}
	}
	return false
}

var (
	reDropOnly = regexp.MustCompile(`^DROP TABLE IF EXISTS ([a-z_][a-z0-9_]*);$`)
	reCreate   = regexp.MustCompile(`^CREATE (TABLE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS ([a-z_][a-z0-9_]*)`)
	reColDef   = regexp.MustCompile(`^\s+([a-z_][a-z0-9_]*) ([A-Z][A-Za-z0-9(), ]*?)( DEFAULT .*)?,?$`)
	reEntry    = regexp.MustCompile(`^--   (\S.*?)(?:\s{2,}(\S.*))?$`)
	reContinue = regexp.MustCompile(`^--\s{4,}(\S.*)$`)
	reAddCol   = regexp.MustCompile(`^ALTER TABLE ([a-z_][a-z0-9_]*) ADD COLUMN (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*) ([A-Z][A-Za-z0-9(), ]*?)( DEFAULT .*)?;?$`)
)

// reCreateOf matches the CREATE of name.
func reCreateOf(name string) *regexp.Regexp {
	return regexp.MustCompile(`^CREATE (TABLE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS ` + regexp.QuoteMeta(name) + `\b`)
}

// SchemaObjects parses the documentation comments of the embedded
// migrations: for each CREATE TABLE or VIEW, the comment block right above
// it (above its DROP, for views).
func SchemaObjects() ([]SchemaObject, []string, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, nil, fmt.Errorf("reading migrations: %w", err)
	}
	var (
		objs    []SchemaObject
		headers []string
	)
	for _, e := range entries {
		b, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		var header []string
		for _, l := range lines {
			if !strings.HasPrefix(l, "--") || reEntry.MatchString(l) {
				break
			}
			if code, ok := strings.CutPrefix(l, "--     "); ok {
				// An example, indented past the entries: kept as it is.
				header = append(header, codeMark+code)
				continue
			}
			header = append(header, strings.TrimSpace(strings.TrimPrefix(l, "--")))
		}
		// A line introducing entries ("runs, new columns:") is not header.
		for len(header) > 0 && (header[len(header)-1] == "" || strings.HasSuffix(header[len(header)-1], ":")) {
			header = header[:len(header)-1]
		}
		headers = append(headers, e.Name()+"\x00"+strings.Join(header, "\n"))
		for i, l := range lines {
			// A DROP not followed by a CREATE of the same name drops the
			// object for good.
			if d := reDropOnly.FindStringSubmatch(l); d != nil && !(i+1 < len(lines) && reCreateOf(d[1]).MatchString(lines[i+1])) {
				for k := range objs {
					if objs[k].Name == d[1] && objs[k].ReplacedBy == "" && objs[k].DroppedBy == "" {
						objs[k].DroppedBy = e.Name()
					}
				}
				continue
			}
			if a := reAddCol.FindStringSubmatch(l); a != nil {
				addColumn(objs, lines, i, a[1], a[2], strings.TrimSpace(a[3]))
				continue
			}
			m := reCreate.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			for k := range objs {
				if objs[k].Name == m[2] && objs[k].ReplacedBy == "" {
					objs[k].ReplacedBy = e.Name()
				}
			}
			o := SchemaObject{Name: m[2], Kind: strings.ToLower(m[1]), Migration: e.Name(), Types: map[string]string{}}
			j := i - 1
			if j >= 0 && strings.HasPrefix(lines[j], "DROP TABLE IF EXISTS "+o.Name) {
				j--
			}
			start := j + 1
			for start > 0 && strings.HasPrefix(lines[start-1], "--") {
				start--
			}
			parseBlock(&o, lines[start:j+1])
			if o.Kind == "table" {
				for _, d := range lines[i+1:] {
					if strings.HasPrefix(d, ")") {
						break
					}
					if cm := reColDef.FindStringSubmatch(d); cm != nil {
						o.Types[cm[1]] = strings.TrimSpace(cm[2])
						o.Order = append(o.Order, cm[1])
					}
				}
			}
			objs = append(objs, o)
		}
	}
	return objs, headers, nil
}

// parseBlock reads a doc block: "name: description" lines, then entries
// "--   names   meaning" with deeper-indented continuation lines.
func parseBlock(o *SchemaObject, block []string) {
	var desc []string
	inColumns := false
	for _, l := range block {
		if c := reContinue.FindStringSubmatch(l); c != nil && inColumns && len(o.Columns) > 0 {
			last := &o.Columns[len(o.Columns)-1]
			last.Meaning = strings.TrimSpace(last.Meaning + " " + c[1])
			continue
		}
		if e := reEntry.FindStringSubmatch(l); e != nil {
			inColumns = true
			o.Columns = append(o.Columns, SchemaColumn{Names: splitNames(e[1]), Meaning: e[2]})
			continue
		}
		text := strings.TrimSpace(strings.TrimPrefix(l, "--"))
		if inColumns {
			// Prose after the entries belongs to the description.
			desc = append(desc, text)
			continue
		}
		desc = append(desc, text)
	}
	d := strings.Join(desc, " ")
	d = strings.TrimSpace(strings.TrimPrefix(d, o.Name+":"))
	o.Description = d
}

// splitNames splits "a, b" or "a/b" entry names.
func splitNames(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '/' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// codeMark starts a header line that is an example (SQL), rendered as code.
const codeMark = "\x01"

// LiveObject is a table or view as the database reports it.
type LiveObject struct {
	Name    string
	View    bool
	Columns []LiveColumn // in the table's order
}

// LiveColumn is a column as system.columns reports it.
type LiveColumn struct {
	Name, Type string
}

// LiveSchema reads every table and view of the database and their columns
// from system.tables and system.columns; schema_migrations (the migrator's
// own bookkeeping) is left out.
func (db *DB) LiveSchema(ctx context.Context) ([]LiveObject, error) {
	rows, err := db.conn.Query(ctx, `SELECT t.name, t.engine = 'View', c.name, c.type
		FROM system.columns AS c ALL INNER JOIN
		(SELECT database, name AS table, name, engine FROM system.tables) AS t USING (database, table)
		WHERE database = currentDatabase() AND table != 'schema_migrations'`)
	if err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	defer rows.Close()
	var objs []LiveObject
	idx := map[string]int{}
	for rows.Next() {
		var (
			table, col, typ string
			view            uint8
		)
		if err := rows.Scan(&table, &view, &col, &typ); err != nil {
			return nil, fmt.Errorf("reading the schema: %w", err)
		}
		i, ok := idx[table]
		if !ok {
			i = len(objs)
			idx[table] = i
			objs = append(objs, LiveObject{Name: table, View: view == 1})
		}
		objs[i].Columns = append(objs[i].Columns, LiveColumn{Name: col, Type: typ})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the schema: %w", err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })
	return objs, nil
}

// reIssue finds a reference to an issue or ticket number.
var reIssue = regexp.MustCompile(`(?i)\b(issue|ticket|bug)s?\s*#?\s*[0-9]+|#[0-9]+\b`)

// SchemaDoc renders docs/schema.md: for each migration its header and the
// tables and views it created, each with the columns the live database
// reports (live, from LiveSchema) and the meaning the migrations' comments
// give them. A view's column not documented in its own block takes the
// meaning it has in the table its block names ("as in X", "has in X").
//
// It also returns what is wrong with the documentation, each problem a
// sentence: a table or view of the database no migration documents, a
// column without a meaning, an entry documenting several columns with one
// meaning, two columns of one object with the same meaning (copied from a
// neighbour), a documented column the database does not have, a reference
// to an issue number.
func SchemaDoc(live []LiveObject) (doc []byte, problems []string, err error) {
	objs, headers, err := SchemaObjects()
	if err != nil {
		return nil, nil, err
	}
	current := map[string]*SchemaObject{}
	for i := range objs {
		if objs[i].ReplacedBy == "" && objs[i].DroppedBy == "" {
			current[objs[i].Name] = &objs[i]
		}
	}
	liveBy := map[string]LiveObject{}
	for _, l := range live {
		liveBy[l.Name] = l
		if current[l.Name] == nil {
			problems = append(problems, fmt.Sprintf("%s is in the database but no migration documents it", l.Name))
		}
	}
	var b bytes.Buffer
	b.WriteString("# The counternet warehouse schema\n\n")
	b.WriteString("Generated by `go test ./internal/warehouse -run TestSchemaDoc -update`: the tables, views and\n")
	b.WriteString("columns are what a migrated database reports (`system.columns`), their meanings the comments of\n")
	b.WriteString("`internal/warehouse/migrations/*.sql`; edit the migrations, not this file. All times are UTC.\n")
	b.WriteString("Observation tables keep every observation and collapse duplicates of an `event_id` (use `FINAL`\n")
	b.WriteString("or the views where exact counts matter).\n\n")
	var names []string
	for _, l := range live {
		names = append(names, fmt.Sprintf("[%s](#%s)", l.Name, l.Name))
	}
	b.WriteString("Tables and views: " + strings.Join(names, ", ") + ".\n")
	for _, h := range headers {
		file, text, _ := strings.Cut(h, "\x00")
		fmt.Fprintf(&b, "\n## %s\n\n", strings.TrimSuffix(file, ".sql"))
		b.WriteString(renderHeader(text))
		for i := range objs {
			o := &objs[i]
			if o.Migration != file {
				continue
			}
			if o.ReplacedBy != "" {
				fmt.Fprintf(&b, "\n*%s %s: replaced by %s (see there).*\n", o.Kind, o.Name, strings.TrimSuffix(o.ReplacedBy, ".sql"))
				continue
			}
			if o.DroppedBy != "" {
				fmt.Fprintf(&b, "\n*%s %s: dropped by %s.*\n", o.Kind, o.Name, strings.TrimSuffix(o.DroppedBy, ".sql"))
				continue
			}
			l, ok := liveBy[o.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s (%s) is documented but not in the database", o.Name, file))
				continue
			}
			problems = append(problems, renderObject(&b, o, l, current)...)
		}
	}
	if m := reIssue.FindString(b.String()); m != "" {
		problems = append(problems, fmt.Sprintf("the documentation refers to an issue number (%q)", m))
	}
	return b.Bytes(), problems, nil
}

// renderObject writes one table or view and returns its documentation's
// problems.
func renderObject(b *bytes.Buffer, o *SchemaObject, l LiveObject, current map[string]*SchemaObject) []string {
	var problems []string
	kind := "table"
	if l.View {
		kind = "view"
	}
	fmt.Fprintf(b, "\n### %s\n\n*%s.* %s\n\n", o.Name, kind, o.Description)
	if o.Description == "" {
		problems = append(problems, fmt.Sprintf("%s (%s): no description", o.Name, o.Migration))
	}
	for _, c := range o.Columns {
		if len(c.Names) > 1 {
			problems = append(problems, fmt.Sprintf("%s (%s): one meaning for %s; give each column its own",
				o.Name, o.Migration, strings.Join(c.Names, ", ")))
		}
		for _, n := range c.Names {
			if !hasColumn(l, n) {
				problems = append(problems, fmt.Sprintf("%s (%s): documents column %s, which the database does not have", o.Name, o.Migration, n))
			}
		}
	}
	b.WriteString("| column | type | meaning |\n| --- | --- | --- |\n")
	seen := map[string]string{}
	for _, c := range l.Columns {
		meaning, own := meaningOf(*o, c.Name), true
		if meaning == "" {
			meaning, own = inheritedMeaning(o, c.Name, current), false
		}
		switch {
		case meaning == "":
			problems = append(problems, fmt.Sprintf("%s.%s (%s): no meaning documented", o.Name, c.Name, o.Migration))
		case own && seen[meaning] != "":
			problems = append(problems, fmt.Sprintf("%s.%s (%s): the same meaning as %s (%q)", o.Name, c.Name, o.Migration, seen[meaning], meaning))
		case own:
			seen[meaning] = c.Name
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", c.Name, c.Type, escapeCell(meaning))
	}
	return problems
}

func hasColumn(l LiveObject, name string) bool {
	for _, c := range l.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// inheritedMeaning is the meaning of column c in the object o's description
// names its columns after ("as in X", "has in X"), with a pointer to it.
func inheritedMeaning(o *SchemaObject, c string, current map[string]*SchemaObject) string {
	for _, marker := range []string{"as in ", "has in "} {
		rest := o.Description
		for {
			_, after, ok := strings.Cut(rest, marker)
			if !ok {
				break
			}
			rest = after
			name := strings.TrimRight(strings.Fields(after + " x")[0], ".,;:)")
			if other := current[name]; other != nil && other.Name != o.Name {
				if m := meaningOf(*other, c); m != "" {
					return m + " (as in " + name + ")"
				}
			}
		}
	}
	return ""
}

// meaningOf is the meaning documented for column c.
func meaningOf(o SchemaObject, c string) string {
	for _, e := range o.Columns {
		for _, n := range e.Names {
			if n == c {
				return e.Meaning
			}
		}
	}
	return ""
}

// renderHeader renders a migration's header comment: its first sentence
// without the file name, paragraphs reflowed, examples as code blocks.
func renderHeader(text string) string {
	if _, after, found := strings.Cut(text, ": "); found && !strings.Contains(strings.SplitN(text, ": ", 2)[0], " ") {
		text = after
	}
	var (
		out  []string
		para []string
		code []string
	)
	flush := func() {
		if len(para) > 0 {
			out = append(out, strings.Join(strings.Fields(strings.Join(para, " ")), " "))
			para = nil
		}
		if len(code) > 0 {
			out = append(out, "```sql\n"+strings.Join(code, "\n")+"\n```")
			code = nil
		}
	}
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, codeMark):
			if len(para) > 0 {
				flush()
			}
			code = append(code, strings.TrimPrefix(l, codeMark))
		case strings.TrimSpace(l) == "":
			flush()
		default:
			if len(code) > 0 {
				flush()
			}
			para = append(para, l)
		}
	}
	flush()
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n\n") + "\n"
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
