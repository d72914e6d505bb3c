package telegram_test

import (
	"context"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"hocvuso/bot"
	"hocvuso/bot/session"
	"hocvuso/bot/telegram"
	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// C15: catalogs of minority languages whose tags have no CLDR plural rule (Tày, Nùng, Hmong,
// Dao) load at start-up and serve residents; a broken catalog disables only its language,
// logged, and the bot still starts and serves everyone else.
func TestCaseC15(t *testing.T) {
	minority := []string{"tyz-Latn-VN", "nut-Latn-VN", "mww-Latn-VN", "ium-Latn-VN"}
	t.Run("AllLoadAndServe", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		cat := h.rt.Catalog()
		for i, tag := range minority {
			if !cat.Supports(tag) {
				t.Fatalf("%s is not offered", tag)
			}
			chat := int64(4000 + i)
			press := pressUpdate(int64(10*i+2), chat, 1, flows.EncodeLang(tag), tag)
			for _, u := range []string{commandUpdate(int64(10*i+1), chat, "/start vneid"), press} {
				if err := h.handle(u); err != nil {
					t.Fatalf("%s: %v", tag, err)
				}
			}
			if st := h.state(chat); st.Lang != tag || st.Flow != "vneid" {
				t.Fatalf("%s: state %+v, want the guide in that language", tag, st)
			}
			texts := h.api.texts(chat)
			if last := texts[len(texts)-1]; !strings.Contains(last, cat.Text(tag, "vneid.os")) {
				t.Errorf("%s: last message %.80q, want the first step in that language", tag, last)
			}
		}
	})
	t.Run("BrokenCatalogDisablesOnlyItsLanguage", func(t *testing.T) {
		broken := fstest.MapFS{}
		err := fs.WalkDir(i18n.Locales(), "locales", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(i18n.Locales(), p)
			broken[p] = &fstest.MapFile{Data: data}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		broken["locales/common.tyz-Latn-VN.yaml"] = &fstest.MapFile{Data: []byte("lang.name: [unclosed\n")}
		logs := &logBuffer{}
		cat, err := i18n.LoadDefaultFrom(broken, "locales", i18n.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
		if err != nil {
			t.Fatalf("one broken catalog stopped the bot: %v", err)
		}
		if cat.Supports("tyz-Latn-VN") || cat.Disabled()["tyz-Latn-VN"] == nil {
			t.Fatal("the broken language is still offered")
		}
		if !strings.Contains(logs.String(), "tyz-Latn-VN") {
			t.Error("the disabled language was not logged")
		}
		for _, tag := range minority[1:] {
			if !cat.Supports(tag) {
				t.Errorf("%s was disabled by another language's broken file", tag)
			}
		}
		// The bot starts on these catalogs and serves a resident.
		lib, err := flows.LoadDir(library.FS, ".", cat)
		if err != nil {
			t.Fatal(err)
		}
		rdb := testRedis(t)
		store := session.New(rdb, session.WithPrefix(uniquePrefix(t, rdb)))
		rt := bot.New(flows.NewEngine(lib, cat), cat, store)
		api := newFakeAPI(t)
		tr, err := telegram.New(context.Background(), rt, testToken, telegram.WithAPIURL(api.URL()), telegram.WithClock(time.Now, instantSleep))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := telegram.DecodeUpdate([]byte(commandUpdate(1, 4100, "/start")))
		if err := tr.HandleUpdate(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		if len(api.texts(4100)) == 0 {
			t.Fatal("no answer from a bot started with one broken catalog")
		}
	})
}
