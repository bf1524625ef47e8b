package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRelativeLinksResolve: every relative link of README.md and docs/ names
// a file of the repository, and a #fragment names a heading of that file.
func TestRelativeLinksResolve(t *testing.T) {
	pages, err := filepath.Glob(projectDir + "/docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, projectDir+"/README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	checked := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, fragment, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			rel, _ := filepath.Rel(projectDir, page)
			data, err := os.ReadFile(path)
			if err != nil {
				if info, serr := os.Stat(path); serr == nil && info.IsDir() {
					checked++
					continue
				}
				t.Errorf("%s: link %q: no such file", rel, target)
				continue
			}
			checked++
			if fragment != "" && !slices.Contains(headingSlugs(string(data)), fragment) {
				t.Errorf("%s: link %q: no heading #%s in %s", rel, target, fragment, file)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d relative links checked", checked)
	}
}

// headingSlugs are the anchors GitHub gives a markdown file's headings:
// lower case, spaces to hyphens, punctuation dropped.
func headingSlugs(text string) []string {
	var out []string
	drop := regexp.MustCompile("[^a-z0-9 _-]")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		out = append(out, strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(title), ""), " ", "-"))
	}
	return out
}
