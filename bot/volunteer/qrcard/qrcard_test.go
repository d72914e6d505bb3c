package qrcard

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decode reads the QR code back from a PNG, the way a phone camera would.
func decode(t *testing.T, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("card is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("error reading bitmap: %v", err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

func TestPNGDecodesBackToLink(t *testing.T) {
	for _, link := range []string{
		"https://t.me/hocvuso_bot?start=vneid",
		"https://t.me/hocvuso_bot?start=vneid-Xy7Kq2Lm9P",
		"https://t.me/a_very_long_bot_username_bot?start=dichvucong-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
	} {
		data, err := PNG(link, "VNeID – định danh điện tử 🪪")
		if err != nil {
			t.Fatalf("PNG(%q): %v", link, err)
		}
		if got := decode(t, data); got != link {
			t.Errorf("decoded %q, want %q", got, link)
		}
	}
}

func TestPNGWritesAFile(t *testing.T) {
	data, err := PNG("https://t.me/hocvuso_bot?start=vneid-Xy7Kq2Lm9P", "VNeID – định danh điện tử 🪪")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "card.png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("QRCARD_OUT"); out != "" {
		_ = os.WriteFile(out, data, 0o644) // for looking at the card by eye
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width < minCodeWidth || cfg.Height <= cfg.Width {
		t.Errorf("card is %dx%d: want at least %d wide and taller than wide (text under the code)", cfg.Width, cfg.Height, minCodeWidth)
	}
}

// The title is really drawn: the strip under the code has dark pixels, and more of them for a
// longer title.
func TestTitleIsDrawnUnderTheCode(t *testing.T) {
	ink := func(title string) int {
		img, err := Draw("https://t.me/hocvuso_bot?start=vneid", title)
		if err != nil {
			t.Fatal(err)
		}
		w := img.Bounds().Dx()
		n := 0
		// The code is square: everything below its width is text.
		for y := w; y < img.Bounds().Dy(); y++ {
			for x := 0; x < w; x++ {
				if img.GrayAt(x, y).Y < 128 {
					n++
				}
			}
		}
		return n
	}
	short, long := ink(""), ink("Thanh toán bằng mã QR an toàn")
	if long <= short {
		t.Errorf("ink under the code: %d with a title, %d without; the title was not drawn", long, short)
	}
}

func TestFontCoversVietnamese(t *testing.T) {
	const all = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ" +
		"AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ"
	if m := Missing(all); len(m) > 0 {
		t.Errorf("font lacks %q", string(m))
	}
	// Decomposed input (some keyboards send it) is composed first.
	if m := Missing("Vie\u0302\u0323t"); len(m) > 0 {
		t.Errorf("decomposed text: font lacks %q", string(m))
	}
}

func TestPrintableDropsEmojiKeepsLetters(t *testing.T) {
	if got, want := Printable("  VNeID – định   danh 🪪 "), "VNeID – định danh"; got != want {
		t.Errorf("Printable = %q, want %q", got, want)
	}
}

func TestEmptyLinkIsAnError(t *testing.T) {
	if _, err := PNG("", "x"); err == nil {
		t.Error("PNG with an empty link: no error")
	}
}

var _ image.Image = (*image.Gray)(nil)
