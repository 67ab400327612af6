package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
)

// Templates live in templates/ as <name>.<language>.txt, with an optional
// <name>.<language>.html next to it. A .txt file starts with a line
// "Subject: …", then an empty line, then the text body. Languages are
// lower-case BCP 47 tags ("en", "ja", "pt-br"); every name needs "en".
//
//go:embed templates
var templateFiles embed.FS

// FallbackLanguage is used when no template matches the recipient's
// language or its base language.
const FallbackLanguage = "en"

// ErrUnknownTemplate means no template of the message's name exists.
var ErrUnknownTemplate = errors.New("mail: unknown template")

// Rendered is a message's content, ready for a transport.
type Rendered struct {
	Subject  string
	Text     string
	HTML     string // empty when the template has no HTML version
	Language string // the template's language after fallback
}

// Render fills the message's template, in the recipient's language where
// one exists. Data the template uses but the message lacks is an error, so
// no "<no value>" ever reaches a customer. Errors: ErrUnknownTemplate.
func Render(m Message) (Rendered, error) {
	set, err := loadTemplates()
	if err != nil {
		return Rendered{}, err
	}
	byLang, ok := set[m.Template]
	if !ok {
		return Rendered{}, fmt.Errorf("%w %q", ErrUnknownTemplate, m.Template)
	}
	lang := pickLanguage(byLang, m.Language)
	v := byLang[lang]
	out := Rendered{Language: lang}
	var buf bytes.Buffer
	if err := v.subject.Execute(&buf, m.Data); err != nil {
		return Rendered{}, fmt.Errorf("render %s.%s subject: %w", m.Template, lang, err)
	}
	// A subject is one header line whatever the data holds.
	out.Subject = strings.Join(strings.Fields(buf.String()), " ")
	buf.Reset()
	if err := v.text.Execute(&buf, m.Data); err != nil {
		return Rendered{}, fmt.Errorf("render %s.%s text: %w", m.Template, lang, err)
	}
	out.Text = buf.String()
	if v.html != nil {
		buf.Reset()
		if err := v.html.Execute(&buf, m.Data); err != nil {
			return Rendered{}, fmt.Errorf("render %s.%s html: %w", m.Template, lang, err)
		}
		out.HTML = buf.String()
	}
	return out, nil
}

// Templates lists each template name with its languages, sorted. Errors
// are those of loading the embedded files (which a test rules out).
func Templates() (map[string][]string, error) {
	set, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(set))
	for name, byLang := range set {
		for lang := range byLang {
			out[name] = append(out[name], lang)
		}
		slices.Sort(out[name])
	}
	return out, nil
}

// pickLanguage tries the exact tag, then shorter prefixes ("zh-hant-tw",
// "zh-hant", "zh"), then English.
func pickLanguage(byLang map[string]*variant, tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	for tag != "" {
		if _, ok := byLang[tag]; ok {
			return tag
		}
		i := strings.LastIndexByte(tag, '-')
		if i < 0 {
			break
		}
		tag = tag[:i]
	}
	return FallbackLanguage
}

type variant struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template // nil without an HTML version
}

// templateSet maps name → language → variant.
type templateSet map[string]map[string]*variant

// loadTemplates parses the embedded files once; a broken file is an error of
// every Render rather than a panic at cold start.
var loadTemplates = sync.OnceValues(func() (templateSet, error) {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	return parseTemplates(sub)
})

func parseTemplates(fsys fs.FS) (templateSet, error) {
	files, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	set := templateSet{}
	var htmlFiles []string
	for _, f := range files {
		ext := path.Ext(f.Name())
		switch ext {
		case ".txt":
		case ".html":
			htmlFiles = append(htmlFiles, f.Name()) // after the .txt files
			continue
		default:
			return nil, fmt.Errorf("mail template %s: want .txt or .html", f.Name())
		}
		name, lang, err := splitName(f.Name())
		if err != nil {
			return nil, err
		}
		src, err := fs.ReadFile(fsys, f.Name())
		if err != nil {
			return nil, err
		}
		subject, body, err := splitSubject(string(src))
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", f.Name(), err)
		}
		v := &variant{}
		if v.subject, err = texttemplate.New(f.Name() + ":subject").Option("missingkey=error").Parse(subject); err != nil {
			return nil, err
		}
		if v.text, err = texttemplate.New(f.Name()).Option("missingkey=error").Parse(body); err != nil {
			return nil, err
		}
		if set[name] == nil {
			set[name] = map[string]*variant{}
		}
		set[name][lang] = v
	}
	for _, file := range htmlFiles {
		name, lang, err := splitName(file)
		if err != nil {
			return nil, err
		}
		v := set[name][lang]
		if v == nil {
			return nil, fmt.Errorf("mail template %s: no %s.%s.txt beside it", file, name, lang)
		}
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		if v.html, err = htmltemplate.New(file).Option("missingkey=error").Parse(string(src)); err != nil {
			return nil, err
		}
	}
	for name, byLang := range set {
		if byLang[FallbackLanguage] == nil {
			return nil, fmt.Errorf("mail template %s has no %s version, the last fallback", name, FallbackLanguage)
		}
	}
	return set, nil
}

// splitName turns "purchase-receipt.ja.txt" into ("purchase-receipt", "ja").
func splitName(file string) (name, lang string, err error) {
	base := strings.TrimSuffix(file, path.Ext(file))
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || i == len(base)-1 || base[i+1:] != strings.ToLower(base[i+1:]) {
		return "", "", fmt.Errorf("mail template %s: want <name>.<lower-case language>.txt", file)
	}
	return base[:i], base[i+1:], nil
}

// splitSubject separates the "Subject: " line and the empty line after it
// from the body.
func splitSubject(src string) (subject, body string, err error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	first, rest, _ := strings.Cut(src, "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok || strings.TrimSpace(subject) == "" {
		return "", "", errors.New(`the first line must be "Subject: …"`)
	}
	body, ok = strings.CutPrefix(rest, "\n")
	if !ok {
		return "", "", errors.New("an empty line must follow the subject")
	}
	return subject, body, nil
}
