// Package qrcard draws a printable QR card: the QR code of a deep link with the guide's name
// under it, as a PNG a volunteer can send, print and pin on the commune notice board.
package qrcard

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"unicode"

	qrcode "github.com/yeqown/go-qrcode/v2"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// The Go fonts lack most Vietnamese letters (ả, ạ, ơ, ư…), so a subset of DejaVu Sans Bold
// is bundled: see font/README.md.
//
//go:embed font/DejaVuSans-Bold-vi.ttf
var fontTTF []byte

var typeface = mustParse(fontTTF)

func mustParse(b []byte) *sfnt.Font {
	f, err := opentype.Parse(b)
	if err != nil {
		panic(fmt.Sprintf("qrcard: bundled font does not parse: %v", err))
	}
	return f
}

// Layout of the card, in pixels. A 45-character link is a 33-module code: about 12 px a module
// gives a code some 5 cm wide at 200 dpi, easy for an old phone camera.
const (
	quiet        = 4   // quiet-zone modules around the code (the QR standard asks for 4)
	minCodeWidth = 480 // the code (without quiet zone) is scaled to at least this
	titleSize    = 34
	linkSize     = 18
	maxLines     = 3
	margin       = 24
)

// PNG returns the card for link with title under it, and the link itself in small print so it
// can be typed when no camera works.
func PNG(link, title string) ([]byte, error) {
	img, err := Draw(link, title)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("error encoding QR card: %w", err)
	}
	return buf.Bytes(), nil
}

// Draw returns the card as an image.
func Draw(link, title string) (*image.Gray, error) {
	bits, err := matrix(link)
	if err != nil {
		return nil, err
	}
	n := len(bits)
	scale := max(8, (minCodeWidth+n-1)/n)
	codeW := (n + 2*quiet) * scale
	titleFace, linkFace, err := faces()
	if err != nil {
		return nil, err
	}
	lines := wrap(Printable(title), titleFace, codeW-2*margin, maxLines)
	linkLines := breakRunes(link, linkFace, codeW-2*margin)
	height := codeW + len(lines)*lineHeight(titleFace) + len(linkLines)*lineHeight(linkFace) + margin
	img := image.NewGray(image.Rect(0, 0, codeW, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				r := image.Rect((x+quiet)*scale, (y+quiet)*scale, (x+quiet+1)*scale, (y+quiet+1)*scale)
				draw.Draw(img, r, image.Black, image.Point{}, draw.Src)
			}
		}
	}
	y := codeW - quiet*scale/2
	y = drawLines(img, titleFace, lines, y)
	drawLines(img, linkFace, linkLines, y)
	return img, nil
}

// matrix encodes link with medium error correction: a printed card survives some dirt.
func matrix(link string) ([][]bool, error) {
	if link == "" {
		return nil, fmt.Errorf("error drawing QR card: empty link")
	}
	q, err := qrcode.NewWith(link, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("error encoding QR code: %w", err)
	}
	var w bitmapWriter
	if err := q.Save(&w); err != nil {
		return nil, fmt.Errorf("error encoding QR code: %w", err)
	}
	return w.bits, nil
}

// bitmapWriter receives the module matrix from go-qrcode; we draw it ourselves so the card
// needs no image-writer module.
type bitmapWriter struct{ bits [][]bool }

func (w *bitmapWriter) Write(m qrcode.Matrix) error { w.bits = m.Bitmap(); return nil }
func (w *bitmapWriter) Close() error                { return nil }

func faces() (title, link font.Face, err error) {
	title, err = opentype.NewFace(typeface, &opentype.FaceOptions{Size: titleSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, nil, fmt.Errorf("error preparing title font: %w", err)
	}
	link, err = opentype.NewFace(typeface, &opentype.FaceOptions{Size: linkSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, nil, fmt.Errorf("error preparing link font: %w", err)
	}
	return title, link, nil
}

func lineHeight(f font.Face) int { return f.Metrics().Height.Ceil() + 4 }

// drawLines draws centred lines starting below y and returns the y under the last one.
func drawLines(img *image.Gray, face font.Face, lines []string, y int) int {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	for _, line := range lines {
		y += lineHeight(face)
		w := d.MeasureString(line).Ceil()
		d.Dot = fixed.P((img.Bounds().Dx()-w)/2, y-face.Metrics().Descent.Ceil())
		d.DrawString(line)
	}
	return y
}

// Printable returns title as the card prints it: composed (NFC, so each Vietnamese letter is
// one glyph of the font), with characters the font lacks (emoji) left out.
func Printable(title string) string {
	var b strings.Builder
	var buf sfnt.Buffer
	for _, r := range norm.NFC.String(title) {
		if unicode.IsSpace(r) {
			b.WriteRune(' ')
			continue
		}
		if i, err := typeface.GlyphIndex(&buf, r); err == nil && i != 0 {
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Missing returns the letters and digits of s the font cannot draw. Emoji and symbols are
// left out on purpose, so they are not reported.
func Missing(s string) []rune {
	var out []rune
	var buf sfnt.Buffer
	for _, r := range norm.NFC.String(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if i, err := typeface.GlyphIndex(&buf, r); err != nil || i == 0 {
			out = append(out, r)
		}
	}
	return out
}

// wrap breaks s into at most maxN lines that fit width; the last line is cut with "…".
func wrap(s string, face font.Face, width, maxN int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := strings.TrimSpace(cur + " " + word)
		if cur != "" && font.MeasureString(face, next).Ceil() > width {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i, l := range lines {
		lines[i] = fit(l, face, width)
	}
	if len(lines) > maxN {
		lines = lines[:maxN]
		lines[maxN-1] = fit(lines[maxN-1]+" …", face, width)
	}
	return lines
}

// breakRunes breaks a link into lines that fit width, anywhere: a link must print whole.
func breakRunes(s string, face font.Face, width int) []string {
	var lines []string
	var cur []rune
	for _, r := range s {
		if len(cur) > 0 && font.MeasureString(face, string(append(cur, r))).Ceil() > width {
			lines = append(lines, string(cur))
			cur = nil
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

// fit cuts a single over-long word (a link) to width, ending it with "…".
func fit(s string, face font.Face, width int) string {
	if font.MeasureString(face, s).Ceil() <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && font.MeasureString(face, string(r)+"…").Ceil() > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
