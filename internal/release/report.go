package release

import (
	"embed"
	"strings"
	"text/template"
)

//go:embed templates/report.txt.tmpl
var reportFiles embed.FS

var reportTemplate = template.Must(template.New("report.txt.tmpl").Funcs(template.FuncMap{
	"join":       strings.Join,
	"trimSuffix": func(s, suffix string) string { return strings.TrimSuffix(s, suffix) },
}).ParseFS(reportFiles, "templates/report.txt.tmpl"))

// Text is the report for a person: the verdict first, what to change last.
func (r *Report) Text() string {
	var b strings.Builder
	if err := reportTemplate.Execute(&b, r); err != nil {
		return r.Verdict // the template is tested; this keeps the verdict if it ever fails
	}
	return strings.TrimRight(b.String(), "\n")
}
