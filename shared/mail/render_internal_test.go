package mail

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseTemplatesRejectsMalformedSets(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	good := "Subject: Hi {{.name}}\n\nBody {{.name}}\n"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // in the error; "" means no error
	}{
		{"valid", fstest.MapFS{"a.en.txt": file(good), "a.ja.txt": file(good), "a.en.html": file("<p>{{.name}}</p>")}, ""},
		{"no english", fstest.MapFS{"a.ja.txt": file(good)}, "no en version"},
		{"no subject", fstest.MapFS{"a.en.txt": file("Hello\n\nBody")}, "Subject"},
		{"no empty line", fstest.MapFS{"a.en.txt": file("Subject: x\nBody")}, "empty line"},
		{"html alone", fstest.MapFS{"a.en.txt": file(good), "b.en.html": file("<p></p>")}, "no b.en.txt"},
		{"upper-case language", fstest.MapFS{"a.EN.txt": file(good)}, "lower-case"},
		{"no language", fstest.MapFS{"a.txt": file(good)}, "<name>.<lower-case language>"},
		{"other extension", fstest.MapFS{"a.en.md": file(good)}, ".txt or .html"},
		{"bad syntax", fstest.MapFS{"a.en.txt": file("Subject: x\n\n{{.name")}, "unclosed action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTemplates(tt.files)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
