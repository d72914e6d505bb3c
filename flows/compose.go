package flows

import "strings"

// Renderer renders a message key in a language with parameters (i18n.Catalog is one).
type Renderer interface {
	Render(lang, key string, params map[string]string) string
}

// Compose renders a reply's text in lang: the head lines, the text, then the tail lines, one
// per line. Every transport and the golden transcripts use it, so they show the same words.
func Compose(r Renderer, lang string, rep Reply) string {
	lines := make([]string, 0, 1+len(rep.Head)+len(rep.Tail))
	for _, p := range rep.Head {
		lines = append(lines, renderPart(r, lang, p))
	}
	lines = append(lines, renderPart(r, lang, Part{Key: rep.Key, Params: rep.Params, Texts: rep.Texts}))
	for _, p := range rep.Tail {
		lines = append(lines, renderPart(r, lang, p))
	}
	return strings.Join(lines, "\n")
}

func renderPart(r Renderer, lang string, p Part) string {
	if len(p.Texts) == 0 {
		return r.Render(lang, p.Key, p.Params)
	}
	params := make(map[string]string, len(p.Params)+len(p.Texts))
	for k, v := range p.Params {
		params[k] = v
	}
	for k, key := range p.Texts {
		params[k] = r.Render(lang, key, nil)
	}
	return r.Render(lang, p.Key, params)
}

// Keys lists every message key a reply shows: its text, its head and tail lines, and the keys
// rendered into them. A translation is as trustworthy as the least reviewed of them.
func (r Reply) Keys() []string {
	keys := []string{r.Key}
	for _, p := range append(append([]Part{{Key: r.Key, Texts: r.Texts}}, r.Head...), r.Tail...) {
		if p.Key != r.Key {
			keys = append(keys, p.Key)
		}
		for _, k := range p.Texts {
			keys = append(keys, k)
		}
	}
	return keys
}
