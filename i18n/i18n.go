// Package i18n renders message keys in the resident's language. Catalogs are flat YAML maps
// (key: Telegram-HTML text) in locales/<group>.<tag>.yaml; Vietnamese is the base language and
// the fallback for any key another catalog lacks. Minority-language catalogs also carry a review
// status (_status), and unreviewed texts are shown together with the Vietnamese text.
// go-i18n does the templating. See README.md for tags, status and the plural-rule workaround.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
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
	langs    []Language // enabled languages, picker order, base first
	data     map[string]*langData
	disabled map[string]error
	problems []Problem
	matcher  language.Matcher // over the languages a Telegram client can ask for
	matchTo  []string
	keyGroup map[string]string // base key -> group
	log      *slog.Logger
}

type langData struct {
	lang   Language
	texts  map[string]string
	review map[string]Review
	loc    *goi18n.Localizer
	files  []*File
}

// Option configures Load.
type Option func(*Catalog)

// WithLogger sets where disabled languages and dropped strings are logged (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Catalog) { c.log = l } }

// Load reads every catalog file in dir of fsys. tags lists the languages to offer, in picker
// order, base first; each must be in the language table. A problem in the base catalog is an
// error. A problem in another language's file disables that language (logged, listed by
// Disabled); a bad string in it is dropped so the Vietnamese text shows (logged, listed by
// Problems). Neither stops the bot.
func Load(fsys fs.FS, dir string, tags []string, opts ...Option) (*Catalog, error) {
	c := &Catalog{data: map[string]*langData{}, disabled: map[string]error{}, keyGroup: map[string]string{}, log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	if len(tags) == 0 || tags[0] != Base {
		return nil, fmt.Errorf("the base language %q must come first", Base)
	}
	files, err := c.readFiles(fsys, dir, tags)
	if err != nil {
		return nil, err
	}
	if err := c.loadBase(files[Base]); err != nil {
		return nil, err
	}
	for _, tag := range tags[1:] {
		if err := c.loadLang(tag, files[tag]); err != nil {
			c.disabled[tag] = err
			c.log.Error("language disabled: its catalog is broken", "lang", tag, "err", err)
		}
	}
	c.finish()
	return c, nil
}

// LoadDefault loads the embedded catalogs with every language of the table.
func LoadDefault(opts ...Option) (*Catalog, error) {
	return LoadDefaultFrom(locales, "locales", opts...)
}

// LoadDefaultFrom loads every language of the table from dir of fsys (for example the source
// tree, for the tools that edit catalogs).
func LoadDefaultFrom(fsys fs.FS, dir string, opts ...Option) (*Catalog, error) {
	tags := make([]string, len(languages))
	for i, l := range languages {
		tags[i] = l.Tag
	}
	return Load(fsys, dir, tags, opts...)
}

// readFiles parses every file, grouped by language. Files of the base language must parse;
// a file of another language that does not parse counts against that language.
func (c *Catalog) readFiles(fsys fs.FS, dir string, tags []string) (map[string][]fileOrErr, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("error listing catalogs in %s: %w", dir, err)
	}
	out := map[string][]fileOrErr{}
	for _, name := range names {
		_, lang, ok := fileName(name)
		if !ok {
			return nil, fmt.Errorf("%s: catalog file names are <group>.<lang>.yaml (lang a BCP 47 tag, e.g. tyz-Latn-VN)", name)
		}
		if !contains(tags, lang) {
			c.problems = append(c.problems, Problem{File: path.Base(name), Lang: lang, Msg: "language not offered (add it to the table in i18n/languages.go)"})
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("error reading catalog %s: %w", name, err)
		}
		c.problems = append(c.problems, nfcProblems(path.Base(name), lang, data)...)
		f, err := ParseFile(name, data)
		out[lang] = append(out[lang], fileOrErr{f, err})
	}
	return out, nil
}

type fileOrErr struct {
	f   *File
	err error
}

func (c *Catalog) loadBase(files []fileOrErr) error {
	if len(files) == 0 {
		return fmt.Errorf("no catalog for the base language %q", Base)
	}
	d := &langData{lang: mustLanguage(Base), texts: map[string]string{}, review: map[string]Review{}}
	var errs []error
	for _, fe := range files {
		if fe.err != nil {
			errs = append(errs, fe.err)
			continue
		}
		d.files = append(d.files, fe.f)
		for _, key := range fe.f.Keys {
			text := fe.f.Texts[key]
			if other, dup := c.keyGroup[key]; dup {
				errs = append(errs, fmt.Errorf("%s:%d: key %q is defined twice for %s (also in %s.%s.yaml)", fe.f.Name, fe.f.Lines[key], key, Base, other, Base))
				continue
			}
			if err := checkText(text, text); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s: %w", fe.f.Name, fe.f.Lines[key], key, err))
			}
			c.keyGroup[key] = fe.f.Group
			d.texts[key] = text
			d.review[key] = Review{Status: Source}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.register(d)
}

func mustLanguage(tag string) Language {
	l, ok := LanguageOf(tag)
	if !ok {
		panic("i18n: " + tag + " is not in the language table")
	}
	return l
}

func (c *Catalog) loadLang(tag string, files []fileOrErr) error {
	lang, ok := LanguageOf(tag)
	if !ok {
		return fmt.Errorf("%q is not in the language table (i18n/languages.go)", tag)
	}
	if len(files) == 0 {
		return fmt.Errorf("no catalog files for %s", tag)
	}
	d := &langData{lang: lang, texts: map[string]string{}, review: map[string]Review{}}
	for _, fe := range files {
		if fe.err != nil {
			return fe.err
		}
		d.files = append(d.files, fe.f)
		for _, key := range fe.f.Keys {
			if _, dup := d.texts[key]; dup {
				return fmt.Errorf("%s:%d: key %q is defined in two files", fe.f.Name, fe.f.Lines[key], key)
			}
			c.addString(d, fe.f, key)
		}
	}
	return c.register(d)
}

// addString keeps one string of a non-base language, or drops it with a logged problem.
func (c *Catalog) addString(d *langData, f *File, key string) {
	text := f.Texts[key]
	vi, inBase := c.data[Base].texts[key]
	var err error
	switch {
	case !inBase:
		err = fmt.Errorf("not a key of the Vietnamese catalog (renamed or misspelt?)")
	default:
		err = checkText(text, vi)
	}
	if err != nil {
		p := Problem{File: f.Name, Line: f.Lines[key], Lang: d.lang.Tag, Key: key, Msg: err.Error() + " (dropped: the Vietnamese text shows)"}
		c.problems = append(c.problems, p)
		c.log.Warn("catalog string dropped", "problem", p.Error())
		return
	}
	d.texts[key] = text
	if d.lang.Review {
		d.review[key] = resolve(f, key, vi)
	} else {
		d.review[key] = Review{Status: Source}
	}
}

// register files a language's texts in its own go-i18n bundle, under bundleTag.
func (c *Catalog) register(d *langData) error {
	tag := bundleTag(language.Make(d.lang.Tag))
	bundle := goi18n.NewBundle(tag)
	msgs := make([]*goi18n.Message, 0, len(d.texts))
	for key, text := range d.texts {
		msgs = append(msgs, &goi18n.Message{ID: key, Other: text})
	}
	if err := bundle.AddMessages(tag, msgs...); err != nil {
		return fmt.Errorf("error adding %s messages to go-i18n: %w", d.lang.Tag, err)
	}
	d.loc = goi18n.NewLocalizer(bundle, tag.String())
	c.data[d.lang.Tag] = d
	return nil
}

func (c *Catalog) finish() {
	var tags []language.Tag
	for _, l := range languages {
		if c.data[l.Tag] == nil {
			continue
		}
		c.langs = append(c.langs, l)
		if l.Telegram != "" {
			tags = append(tags, language.Make(l.Telegram))
			c.matchTo = append(c.matchTo, l.Tag)
		}
	}
	c.matcher = language.NewMatcher(tags)
}

// Languages returns the enabled languages' tags, base first, in picker order.
func (c *Catalog) Languages() []string {
	out := make([]string, len(c.langs))
	for i, l := range c.langs {
		out[i] = l.Tag
	}
	return out
}

// Disabled returns the languages that failed to load, with the reason.
func (c *Catalog) Disabled() map[string]error { return c.disabled }

// Has reports whether key exists in the base catalog.
func (c *Catalog) Has(key string) bool {
	_, ok := c.data[Base].texts[key]
	return ok
}

// Keys returns the keys of a language's catalog, sorted.
func (c *Catalog) Keys(lang string) []string {
	d := c.data[lang]
	if d == nil {
		return nil
	}
	keys := make([]string, 0, len(d.texts))
	for k := range d.texts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Text returns the raw text of key in lang, falling back to the base language. It never
// returns the key itself: a key missing everywhere gives "".
func (c *Catalog) Text(lang, key string) string {
	if d := c.data[lang]; d != nil {
		if t, ok := d.texts[key]; ok {
			return t
		}
	}
	return c.data[Base].texts[key]
}

// Review returns the status of key in lang: Missing when the language lacks it (or is not
// enabled), so the Vietnamese text is what a resident sees.
func (c *Catalog) Review(lang, key string) Review {
	if d := c.data[lang]; d != nil {
		if r, ok := d.review[key]; ok {
			return r
		}
	}
	return Review{Status: Missing}
}

// Render returns the text of key in lang with params filled in, as stored (no draft marking;
// see Message). Params are escaped for Telegram HTML, so a name with "<" or "&" cannot break
// the message.
func (c *Catalog) Render(lang, key string, params map[string]string) string {
	d := c.data[lang]
	if d == nil || d.texts[key] == "" {
		d = c.data[Base]
	}
	raw := d.texts[key]
	if !strings.Contains(raw, "{{") {
		return raw
	}
	data := map[string]string{}
	for _, name := range placeholders(raw) {
		data[name] = "" // a param the caller did not give renders empty, never "<no value>"
	}
	for k, v := range params {
		data[k] = html.EscapeString(v)
	}
	out, err := d.loc.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data})
	if err != nil {
		c.log.Warn("error rendering message", "lang", d.lang.Tag, "key", key, "err", err)
		if out == "" {
			return raw
		}
	}
	return out
}

// Match picks the language for a Telegram language_code: "vi-VN" is "vi", "en-US" is "en", and
// anything else (missing, unknown, or a minority code such as "hmn") is the base language.
// Minority languages are chosen in the picker, never guessed.
func (c *Catalog) Match(code string) string {
	if code == "" || len(c.matchTo) == 0 {
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
	return c.matchTo[i]
}

// Supports reports whether lang is one of the enabled languages.
func (c *Catalog) Supports(lang string) bool { return c.data[lang] != nil }

// Canonical finds the enabled language a user typed: a tag in any case ("TYZ-latn-vn") or a
// bare language code ("tyz").
func (c *Catalog) Canonical(s string) (string, bool) {
	for _, l := range c.langs {
		if strings.EqualFold(s, l.Tag) || strings.EqualFold(s, baseOf(l.Tag)) {
			return l.Tag, true
		}
	}
	return "", false
}

// Group returns the catalog group (file) a base key lives in.
func (c *Catalog) Group(key string) string { return c.keyGroup[key] }

// BaseKeys returns every key of the base catalog, grouped by file, in file order.
func (c *Catalog) BaseKeys() []string {
	var keys []string
	for _, f := range c.data[Base].files {
		keys = append(keys, f.Keys...)
	}
	return keys
}
