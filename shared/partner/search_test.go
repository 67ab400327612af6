package partner_test

import (
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/partner"
)

// Folding: accents, case, width and the ideographic space.
func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Émile  ZOLA": "emile zola", "Ångström": "angstrom", "田中\u3000愛子": "田中 愛子",
		"ﾀﾅｶ": "タナカ", "ｶﾞ": "ガ", "ガ": "ガ", "ジョン・スミス": "ジョン スミス", "ＡＢＣ": "abc",
	} {
		if got := partner.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Tokens: the email, and the name from each word on; a name without
// spaces is one word; at most MaxNameTokens words, each cut.
func TestSearchTokens(t *testing.T) {
	got := partner.SearchTokens(partner.User{Email: "Aiko@X.example", DisplayName: "Aiko  Tanaka"})
	if want := []string{"aiko tanaka", "aiko@x.example", "tanaka"}; !slices.Equal(got, want) {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if got := partner.SearchTokens(partner.User{Email: "a@x.example", DisplayName: "田中愛子"}); !slices.Contains(got, "田中愛子") || len(got) != 2 {
		t.Errorf("unspaced name: %q", got)
	}
	many := partner.SearchTokens(partner.User{Email: "a@x.example", DisplayName: "a b c d e f g h i j k"})
	if len(many) != partner.MaxNameTokens+1 {
		t.Errorf("tokens of 11 words: %d", len(many))
	}
	long := partner.SearchTokens(partner.User{Email: "a@x.example", DisplayName: string(make([]rune, 0)) + "x" + string(slices.Repeat([]rune("y"), 300))})
	for _, tok := range long {
		if len([]rune(tok)) > partner.MaxTokenRunes {
			t.Errorf("token of %d characters", len([]rune(tok)))
		}
	}
}

// Keep: the start of the email or of a word, folded; not the middle.
func TestQueryKeep(t *testing.T) {
	u := partner.User{Email: "emile@x.example", DisplayName: "Émile Zola"}
	for q, want := range map[string]bool{"EMI": true, "zo": true, "émile z": true, "mile": false, "ola": false, "x.example": false, "": true} {
		if got := (partner.UserQuery{Q: q}).Keep(u); got != want {
			t.Errorf("Keep(%q) = %v", q, got)
		}
	}
}
