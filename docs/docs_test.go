// Package docs holds the documentation's own test: the README stays a short
// first read, every relative link in the README and docs/ reaches a file (and
// a heading, when it names one) inside the repository, and docs/README.md
// indexes every page. It reads only files, so `make test-unit` runs it.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// maxReadmeLines is the README's budget (issue 25): what a newcomer needs
// first; everything else is a page in docs/.
const maxReadmeLines = 300

func TestReadmeIsShort(t *testing.T) {
	n, err := countLines("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n > maxReadmeLines {
		t.Errorf("README.md has %d lines, over %d: move the detail to a page in docs/ and link it from docs/README.md", n, maxReadmeLines)
	}
}

func TestRelativeLinksResolve(t *testing.T) {
	files, err := markdownFiles("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkLinks("..", files) {
		t.Error(p)
	}
}

func TestIndexListsEveryPage(t *testing.T) {
	pages, err := docPages(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range missingFromIndex(".", pages) {
		t.Error(p)
	}
	links, err := linkTargets("..", "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(links, "docs/README.md") {
		t.Error("README.md does not link docs/README.md, the index of docs/")
	}
}

// TestCheckers feeds each check a small repository with one fault, so a
// check that stopped finding its fault fails here rather than passing
// quietly on the real documents.
func TestCheckers(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the problems, in order; none: clean
	}{
		{"clean", map[string]string{
			"README.md":      "# T\n\nSee [the index](docs/README.md#the-pages), [a](docs/a.md) and ![p](docs/img/p.png).\n",
			"docs/README.md": "# Index\n\n## The pages\n\n- [a.md](a.md)\n- [b.md](b.md)\n",
			"docs/a.md":      "# A page (`with-code`)\n\n[b](b.md#second-part) [top](#a-page-with-code) [up](../README.md) <https://example.com> [web](https://example.com/x)\n",
			"docs/b.md":      "# B\n\n## Second part\n\n```sh\n# not a heading\necho '[x](missing.md)'\n```\n\nInline `[x](gone.md)` is code.\n",
			"docs/img/p.png": "png",
		}, nil},
		{"missing file", map[string]string{
			"README.md": "[gone](docs/gone.md)\n",
		}, []string{"README.md: link docs/gone.md: no such file"}},
		{"missing anchor", map[string]string{
			"README.md":      "[x](docs/README.md#nowhere)\n",
			"docs/README.md": "# Index\n",
		}, []string{"README.md: link docs/README.md#nowhere: no heading"}},
		{"missing own anchor", map[string]string{
			"docs/a.md": "# A\n\n[self](#b)\n",
		}, []string{"docs/a.md: link #b: no heading"}},
		{"missing image", map[string]string{
			"docs/a.md": "![shot](console/shot.png)\n",
		}, []string{"docs/a.md: link console/shot.png: no such file"}},
		{"outside the repository", map[string]string{
			"README.md": "[spec](../shared/SPEC.md)\n",
		}, []string{"README.md: link ../shared/SPEC.md: leaves the repository"}},
		{"absolute path", map[string]string{
			"docs/a.md": "[spec](/work/shared/SPEC.md)\n",
		}, []string{"docs/a.md: link /work/shared/SPEC.md: not relative"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			var files []string
			for name, body := range c.files {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(name, ".md") {
					files = append(files, name)
				}
			}
			slices.Sort(files)
			assertProblems(t, checkLinks(root, files), c.want)
		})
	}

	t.Run("page missing from the index", func(t *testing.T) {
		root := t.TempDir()
		for name, body := range map[string]string{
			"README.md": "- [a](a.md)\n", "a.md": "# A\n", "b.md": "# B\n",
		} {
			if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		pages, err := docPages(root)
		if err != nil {
			t.Fatal(err)
		}
		assertProblems(t, missingFromIndex(root, pages), []string{"b.md is not linked from docs/README.md"})
	})

	t.Run("anchors", func(t *testing.T) {
		got := anchors("# Expiry (`expire-benefits`)\n## The signed-key format (`PBK2`)\n## Decisions\n## Decisions\n### Test nets: 152 cases, all `404`\n```\n## fenced\n```\n")
		want := []string{"expiry-expire-benefits", "the-signed-key-format-pbk2", "decisions", "decisions-1", "test-nets-152-cases-all-404"}
		if !slices.Equal(got, want) {
			t.Errorf("anchors = %q, want %q", got, want)
		}
	})
}

func assertProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("problems = %q, want %d like %q", got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strings.Count(string(b), "\n"), nil
}

// markdownFiles is README.md, every .md under docs/ and the pages the index
// links elsewhere, slash paths from root.
func markdownFiles(root string) ([]string, error) {
	files := []string{"README.md", "infra/README.md", "shared/store/ACCESS_PATTERNS.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	return files, err
}

// docPages is every .md under dir except the index itself, slash paths from dir.
func docPages(dir string) ([]string, error) {
	var pages []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if rel = filepath.ToSlash(rel); rel != "README.md" {
			pages = append(pages, rel)
		}
		return err
	})
	return pages, err
}

func missingFromIndex(dir string, pages []string) []string {
	links, err := linkTargets(dir, "README.md")
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, p := range pages {
		if !slices.Contains(links, p) {
			problems = append(problems, fmt.Sprintf("%s is not linked from docs/README.md: add a line saying what it answers", p))
		}
	}
	return problems
}

// linkTargets is where file's relative links point, as slash paths from
// root without their anchors.
func linkTargets(root, file string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range links(string(b)) {
		path, _, _ := strings.Cut(l, "#")
		if path != "" && !isURL(l) {
			out = append(out, filepath.ToSlash(filepath.Join(filepath.Dir(file), path)))
		}
	}
	return out, nil
}

// checkLinks reports every relative link of files (slash paths from root)
// that leaves the repository, names a missing file, or names a heading its
// Markdown target does not have.
func checkLinks(root string, files []string) []string {
	var problems []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, l := range links(string(b)) {
			if isURL(l) {
				continue
			}
			if p := checkLink(root, f, l); p != "" {
				problems = append(problems, fmt.Sprintf("%s: link %s: %s", f, l, p))
			}
		}
	}
	return problems
}

func checkLink(root, from, link string) string {
	path, anchor, _ := strings.Cut(link, "#")
	if strings.HasPrefix(path, "/") {
		return "not relative: link to a file of the repository by its relative path"
	}
	target := filepath.ToSlash(filepath.Join(filepath.Dir(from), path))
	if path == "" {
		target = from
	}
	if target == ".." || strings.HasPrefix(target, "../") {
		return "leaves the repository: the repository must stand alone"
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(target)))
	if err != nil {
		if info, serr := os.Stat(filepath.Join(root, filepath.FromSlash(target))); serr == nil && info.IsDir() && anchor == "" {
			return ""
		}
		return "no such file " + target
	}
	if anchor == "" || !strings.HasSuffix(target, ".md") {
		return ""
	}
	if !slices.Contains(anchors(string(b)), anchor) {
		return fmt.Sprintf("no heading #%s in %s", anchor, target)
	}
	return ""
}

func isURL(link string) bool {
	i := strings.Index(link, ":")
	return i > 0 && !strings.ContainsAny(link[:i], "/#.")
}

var (
	linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeRE = regexp.MustCompile("`+[^`]*`+")
)

// links is the target of every inline link and image outside code.
func links(md string) []string {
	var out []string
	for _, line := range prose(md) {
		for _, m := range linkRE.FindAllStringSubmatch(codeRE.ReplaceAllString(line, ""), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// anchors is the id GitHub gives each heading: lower case, punctuation
// dropped, spaces as dashes, a repeated id numbered from -1.
func anchors(md string) []string {
	var out []string
	seen := map[string]int{}
	for _, line := range prose(md) {
		text, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") || len(line)-len(strings.TrimLeft(line, "#")) > 6 {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			seen[id] = n + 1
			id = fmt.Sprintf("%s-%d", id, n)
		} else {
			seen[id] = 1
		}
		out = append(out, id)
	}
	return out
}

// prose is md's lines outside fenced code blocks.
func prose(md string) []string {
	var out []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
		case strings.HasPrefix(t, "```"), strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		default:
			out = append(out, line)
		}
	}
	return out
}
