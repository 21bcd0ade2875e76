package warehouse

import (
	"bytes"
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
	reCreate   = regexp.MustCompile(`^CREATE (TABLE|VIEW) IF NOT EXISTS ([a-z_][a-z0-9_]*)`)
	reColDef   = regexp.MustCompile(`^\s+([a-z_][a-z0-9_]*) ([A-Z][A-Za-z0-9(), ]*?)( DEFAULT .*)?,?$`)
	reEntry    = regexp.MustCompile(`^--   (\S.*?)(?:\s{2,}(\S.*))?$`)
	reContinue = regexp.MustCompile(`^--\s{4,}(\S.*)$`)
	reAddCol   = regexp.MustCompile(`^ALTER TABLE ([a-z_][a-z0-9_]*) ADD COLUMN (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*) ([A-Z][A-Za-z0-9(), ]*?)( DEFAULT .*)?;?$`)
)

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
			header = append(header, strings.TrimSpace(strings.TrimPrefix(l, "--")))
		}
		// A line introducing entries ("runs, new columns:") is not header.
		for len(header) > 0 && (header[len(header)-1] == "" || strings.HasSuffix(header[len(header)-1], ":")) {
			header = header[:len(header)-1]
		}
		headers = append(headers, e.Name()+"\x00"+strings.Join(header, "\n"))
		for i, l := range lines {
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

// SchemaDoc renders docs/schema.md from the migrations' comments.
func SchemaDoc() ([]byte, error) {
	objs, headers, err := SchemaObjects()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# The counternet warehouse schema\n\n")
	b.WriteString("Generated from the comments of `internal/warehouse/migrations/*.sql` by\n")
	b.WriteString("`go test ./internal/warehouse -run TestSchemaDoc -update`; edit the migrations, not this file.\n")
	b.WriteString("All times are UTC. Observation tables keep every observation and collapse duplicates of an\n")
	b.WriteString("`event_id` (use `FINAL` or the views where exact counts matter).\n\n")
	var names []string
	for _, o := range objs {
		if o.ReplacedBy == "" {
			names = append(names, o.Name)
		}
	}
	sort.Strings(names)
	b.WriteString("Tables and views: ")
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%s](#%s)", n, n)
	}
	b.WriteString(".\n")
	for _, h := range headers {
		file, text, _ := strings.Cut(h, "\x00")
		fmt.Fprintf(&b, "\n## %s\n\n", strings.TrimSuffix(file, ".sql"))
		if first, rest, ok := strings.Cut(text, "\n"); ok || first != "" {
			if _, after, found := strings.Cut(first, ": "); found {
				first = after
			}
			para := strings.TrimSpace(first + "\n" + rest)
			b.WriteString(reflow(para))
			b.WriteString("\n")
		}
		for _, o := range objs {
			if o.Migration != file {
				continue
			}
			if o.ReplacedBy != "" {
				fmt.Fprintf(&b, "\n*%s %s: replaced by %s (see there).*\n", o.Kind, o.Name, strings.TrimSuffix(o.ReplacedBy, ".sql"))
				continue
			}
			fmt.Fprintf(&b, "\n### %s\n\n*%s.* %s\n\n", o.Name, o.Kind, o.Description)
			if o.Kind == "table" {
				b.WriteString("| column | type | meaning |\n| --- | --- | --- |\n")
				for _, c := range o.Order {
					fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c, o.Types[c], escapeCell(meaningOf(o, c)))
				}
				continue
			}
			if len(o.Columns) > 0 {
				b.WriteString("| column | meaning |\n| --- | --- |\n")
				for _, c := range o.Columns {
					fmt.Fprintf(&b, "| `%s` | %s |\n", strings.Join(c.Names, "`, `"), escapeCell(c.Meaning))
				}
			}
		}
	}
	return b.Bytes(), nil
}

// meaningOf is the meaning documented for column c, with the other names of
// its entry when the entry covers several ("see also").
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

// reflow joins the lines of each paragraph of a header comment.
func reflow(s string) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n") + "\n"
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
