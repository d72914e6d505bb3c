package telegram_test

import (
	"hocvuso/bot/bottest"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"hocvuso/flows"
	"hocvuso/flows/library"
	"hocvuso/i18n"
)

// C08: callback data over 64 bytes. A flow cannot carry its own callback data (buttons carry
// short ids resolved on the server), every callback data the bot can produce fits, and if
// Telegram still refuses the buttons the resident gets them as text instead of silence.
func TestCaseC08(t *testing.T) {
	cat, lib := content(t)
	t.Run("LoaderRejectsLongData", func(t *testing.T) {
		src := "id: xa\nversion: 1\ntitle: vneid.title\nstart: a\nsteps:\n  - id: a\n    text: vneid.os\n    buttons:\n      - label: btn.next\n        data: \"xa:Ủy ban nhân dân xã Bản Phiệt, huyện Bảo Thắng\"\n        goto: a\n"
		f, errs := flows.Parse("xa.yaml", []byte(src), cat)
		if f != nil || len(errs) == 0 {
			t.Fatal("a flow with its own callback data loaded")
		}
		if msg := errs[0].Error(); !strings.Contains(msg, "xa.yaml:10") || !strings.Contains(msg, `"data"`) {
			t.Errorf("error %q, want it to name the file, line 10 and the field", msg)
		}
	})
	t.Run("AllDataFits", func(t *testing.T) {
		maxTok := uint32(math.MaxUint32)
		check := func(what, data string) {
			if len(data) > flows.MaxCallbackDataLen {
				t.Errorf("%s: callback data %q is %d bytes", what, data, len(data))
			}
		}
		check("menu", flows.EncodePress(maxTok, len(lib.Flows())-1))
		for _, f := range lib.Flows() {
			for _, s := range f.Steps {
				for i := range s.Choices() {
					check(f.ID+"."+s.ID, flows.EncodePress(maxTok, i))
				}
			}
		}
		for _, tag := range cat.Languages() {
			check("language "+tag, flows.EncodeLang(tag))
		}
		check("forget", "fg:y:"+strconv.FormatUint(uint64(maxTok), 36))
	})
	t.Run("RefusedButtonsBecomeText", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		h.api.on("sendMessage", func(c apiCall) *bottest.Failure {
			if strings.Contains(c.Params["reply_markup"], "callback_data") {
				return &bottest.Failure{Code: 400, Description: "Bad Request: BUTTON_DATA_INVALID"}
			}
			return nil
		})
		h.chose(1001)
		if err := h.handle(commandUpdate(1, 1001, "/start vneid")); err != nil {
			t.Fatal(err)
		}
		got := h.api.texts(1001)
		want := h.stepText("vneid", "os") + "\n\n" + cat.Text("vi", "notice.buttons_as_text") +
			"\n1. " + cat.Text("vi", "vneid.btn.android") + "\n2. " + cat.Text("vi", "vneid.btn.iphone")
		if len(got) != 1 || got[0] != want {
			t.Fatalf("sent %q, want the step with its choices as text", got)
		}
		if !strings.Contains(h.logs.String(), `level=ERROR msg="Telegram refused the buttons: sending them as text" where=vneid.os`) {
			t.Errorf("the refusal was not logged with flow and step:\n%s", h.logs.String())
		}
		if err := h.handle(textUpdate(2, 1001, "2")); err != nil || h.state(1001).Step != "get_iphone" {
			t.Errorf("typing the number did not work: %v", err)
		}
	})
}

// C14: Vietnamese typed decomposed (NFD), half-composed (as the Windows keyboard sends) or
// without diacritics matches the button it means. Every flow and catalog file is NFC.
func TestCaseC14(t *testing.T) {
	cat, _ := content(t)
	h := newHarness(t, harnessOpts{})
	worked := "Được rồi"
	forms := map[string]string{
		"Decomposed":     norm.NFD.String(worked),
		"HalfComposed":   "\u0110\u01b0\u01a1\u0323c r\u00f4\u0300i", // ư ơ precomposed, tone marks combining
		"NoDiacritics":   "duoc roi",
		"UpperAndSpaces": "  ĐƯỢC   RỒI ✅ ",
	}
	chat := int64(3000)
	for name, typed := range forms {
		t.Run(name, func(t *testing.T) {
			chat++
			id := chat * 100
			h.chose(chat)
			if err := h.handle(commandUpdate(id, chat, "/start vneid")); err != nil {
				t.Fatal(err)
			}
			for _, n := range pathTo(t, "vneid", "install") {
				id++
				if err := h.handle(textUpdate(id, chat, strconv.Itoa(n))); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.handle(textUpdate(id+1, chat, typed)); err != nil {
				t.Fatal(err)
			}
			if st := h.state(chat); st.Step != "account" {
				t.Errorf("%q (%+q) led to %q, want account (the %q button)", name, typed, st.Step, cat.Text("vi", "btn.worked"))
			}
		})
	}
	t.Run("FilesAreNFC", func(t *testing.T) {
		for _, src := range []struct {
			fsys fs.FS
			dir  string
		}{{library.FS, "."}, {i18n.Locales(), "locales"}} {
			names, _ := fs.Glob(src.fsys, src.dir+"/*.yaml")
			if len(names) == 0 {
				t.Fatalf("no files in %s", src.dir)
			}
			for _, name := range names {
				b, err := fs.ReadFile(src.fsys, name)
				if err != nil {
					t.Fatal(err)
				}
				if !norm.NFC.IsNormal(b) {
					t.Errorf("%s is not NFC: save it composed", name)
				}
			}
		}
	})
}
