// Package i18n renders message keys in the resident's language. Catalogs are flat YAML maps
// (key: Telegram-HTML text) in locales/<group>.<lang>.yaml; Vietnamese is the base language and
// the fallback for any key another catalog lacks. go-i18n does the templating.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"path"
	"sort"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

// Base is the base language: every key must exist in it.
const Base = "vi"

//go:embed locales/*.yaml
var locales embed.FS

// Locales returns the embedded catalogs.
func Locales() fs.FS { return locales }

// Catalog holds every language's texts.
type Catalog struct {
	bundle     *goi18n.Bundle
	langs      []string                     // supported languages, base first
	texts      map[string]map[string]string // lang -> key -> raw text
	localizers map[string]*goi18n.Localizer
	matcher    language.Matcher
}

// Load reads every catalog file in dir of fsys. order lists the languages to offer, in the
// order the language picker shows them; the base language must be among them.
func Load(fsys fs.FS, dir string, order []string) (*Catalog, error) {
	c := &Catalog{
		bundle:     goi18n.NewBundle(language.Vietnamese),
		texts:      map[string]map[string]string{},
		localizers: map[string]*goi18n.Localizer{},
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("error listing catalogs in %s: %w", dir, err)
	}
	var errs []error
	for _, name := range names {
		if err := c.loadFile(fsys, name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, c.finish(order)
}

// LoadDefault loads the embedded catalogs with Vietnamese and English.
func LoadDefault() (*Catalog, error) { return Load(locales, "locales", []string{"vi", "en"}) }

func (c *Catalog) loadFile(fsys fs.FS, name string) error {
	lang, ok := langOf(name)
	if !ok {
		return fmt.Errorf("%s: catalog file names are <group>.<lang>.yaml", name)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("error reading catalog %s: %w", name, err)
	}
	var raw map[string]string
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%s: not a flat YAML map of key: text: %w", name, err)
	}
	tag, err := language.Parse(lang)
	if err != nil {
		return fmt.Errorf("%s: %q is not a language tag: %w", name, lang, err)
	}
	msgs := make([]*goi18n.Message, 0, len(raw))
	if c.texts[lang] == nil {
		c.texts[lang] = map[string]string{}
	}
	for key, text := range raw {
		if _, dup := c.texts[lang][key]; dup {
			return fmt.Errorf("%s: key %q is defined twice for %s", name, key, lang)
		}
		c.texts[lang][key] = text
		msgs = append(msgs, &goi18n.Message{ID: key, Other: text})
	}
	if err := c.bundle.AddMessages(tag, msgs...); err != nil {
		return fmt.Errorf("%s: error adding messages: %w", name, err)
	}
	return nil
}

// langOf returns the language part of "<group>.<lang>.yaml".
func langOf(name string) (string, bool) {
	parts := strings.Split(path.Base(name), ".")
	if len(parts) != 3 || parts[2] != "yaml" || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

func (c *Catalog) finish(order []string) error {
	var tags []language.Tag
	for _, lang := range order {
		if c.texts[lang] == nil {
			return fmt.Errorf("no catalog for language %q", lang)
		}
		c.langs = append(c.langs, lang)
		tags = append(tags, language.Make(lang))
		c.localizers[lang] = goi18n.NewLocalizer(c.bundle, lang, Base)
	}
	if len(c.langs) == 0 || c.langs[0] != Base {
		return fmt.Errorf("the base language %q must come first", Base)
	}
	c.matcher = language.NewMatcher(tags)
	return nil
}

// Languages returns the supported languages, base first.
func (c *Catalog) Languages() []string { return c.langs }

// Has reports whether key exists in the base catalog.
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[Base][key]
	return ok
}

// Keys returns the keys of a language's catalog, sorted.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.texts[lang]))
	for k := range c.texts[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Text returns the raw text of key in lang, falling back to the base language. It never
// returns the key itself: a key missing everywhere gives "".
func (c *Catalog) Text(lang, key string) string {
	if t, ok := c.texts[lang][key]; ok {
		return t
	}
	return c.texts[Base][key]
}

// Render returns the text of key in lang with params filled in. Params are escaped for
// Telegram HTML, so a name with "<" or "&" cannot break the message.
func (c *Catalog) Render(lang, key string, params map[string]string) string {
	raw := c.Text(lang, key)
	if !strings.Contains(raw, "{{") {
		return raw
	}
	loc := c.localizers[lang]
	if loc == nil {
		loc = c.localizers[Base]
	}
	data := make(map[string]string, len(params))
	for k, v := range params {
		data[k] = html.EscapeString(v)
	}
	out, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data})
	if out == "" && err != nil {
		// go-i18n returns the fallback text together with an error when the chosen language
		// lacks the key; only an empty result is a real failure.
		return raw
	}
	return out
}

// Match picks the supported language for a Telegram language_code: "vi-VN" is "vi", and an
// unknown or missing code is the base language.
func (c *Catalog) Match(code string) string {
	if code == "" {
		return Base
	}
	tag, err := language.Parse(code)
	if err != nil {
		return Base
	}
	_, i, conf := c.matcher.Match(tag)
	if conf == language.No {
		return Base
	}
	return c.langs[i]
}

// Supports reports whether lang is one of the supported languages.
func (c *Catalog) Supports(lang string) bool { return c.localizers[lang] != nil }
