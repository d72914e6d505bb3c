package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"hocvuso/bot/session"
	"hocvuso/bot/volunteer"
)

func decodeQRFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("%s does not decode: %v", path, err)
	}
	return res.GetText()
}

// In the terminal chat a volunteer registers (pressing buttons by letter), shares a guide,
// and the QR card is written to a file that decodes back to the printed link.
func TestChatVolunteerSharesAGuide(t *testing.T) {
	dir := t.TempDir()
	msgs := chatJSON(t, "/volunteer\na\nXã Hòa An\n/share vneid\n/mystats\n", "-name", "Lan", "-qr-dir", dir, "-bot", "hocvuso_bot")
	var link, file string
	for _, m := range msgs {
		if m.File != "" {
			file = m.File
			for _, line := range strings.Split(m.Text, "\n") {
				if strings.HasPrefix(line, "https://t.me/") {
					link = line
				}
			}
		}
	}
	if file == "" || link == "" {
		t.Fatalf("no QR card or link in %+v", msgs)
	}
	if filepath.Dir(file) != dir || !strings.HasPrefix(link, "https://t.me/hocvuso_bot?start=vneid-") {
		t.Fatalf("file %s, link %s", file, link)
	}
	if got := decodeQRFile(t, file); got != link {
		t.Fatalf("QR card decodes to %q, the chat printed %q", got, link)
	}
	last := msgs[len(msgs)-1].Text
	if !strings.Contains(last, "Lan") || !strings.Contains(last, "0 / 0") {
		t.Fatalf("/mystats: %q", last)
	}
}

func TestShareCommandPrintsLinkAndWritesCard(t *testing.T) {
	out := filepath.Join(t.TempDir(), "card.png")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"share", "-bot", "@hocvuso_bot", "-o", out, "vneid"}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("share: %v (%s)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if lines[0] != "https://t.me/hocvuso_bot?start=vneid" {
		t.Fatalf("printed link %q", lines[0])
	}
	if got := decodeQRFile(t, out); got != lines[0] {
		t.Fatalf("card decodes to %q", got)
	}
	for _, bad := range [][]string{{"share", "-bot", "x", "nosuchguide"}, {"share", "vneid"},
		{"share", "-bot", "https://t.me/hocvuso_bot", "-o", out, "vneid"}} {
		if err := run(context.Background(), bad, nil, &stdout, &stderr); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// The operator commands on a Redis with two volunteers and one resident who came through a
// link: list, approve, stats, share with the volunteer's code, remove.
func TestOperatorCommands(t *testing.T) {
	emb, err := session.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	url := "redis://" + emb.Addr()
	rdb := emb.Client()
	defer rdb.Close()
	ctx := context.Background()
	svc := volunteer.New(rdb, volunteer.Config{RequireApproval: true, BotUsername: "hocvuso_bot"})
	lan, err := svc.Register(ctx, volunteer.Volunteer{ID: 2001, Name: "Lan", Commune: "Xã Hòa An"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, append(args[:1:1], append([]string{"-redis", url}, args[1:]...)...), nil, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v (%s)", args, err, stderr.String())
		}
		return stdout.String()
	}
	list := cmd("volunteers", "list")
	if !strings.Contains(list, "2001") || !strings.Contains(list, "Xã Hòa An") || !strings.Contains(list, "false") || !strings.Contains(list, "1 volunteers") {
		t.Fatalf("list:\n%s", list)
	}
	cmd("volunteers", "approve", "2001")
	if v, _ := svc.Get(ctx, 2001); !v.Approved {
		t.Fatal("approve did not approve")
	}
	out := cmd("share", "-bot", "hocvuso_bot", "-volunteer", "2001", "-o", filepath.Join(t.TempDir(), "c.png"), "vneid")
	if !strings.HasPrefix(out, "https://t.me/hocvuso_bot?start=vneid-"+lan.Ref+"\n") {
		t.Fatalf("share with the volunteer's code: %q", out)
	}
	stats := cmd("stats")
	if !strings.Contains(stats, "GUIDE") || !strings.Contains(stats, "COMMUNE") {
		t.Fatalf("stats:\n%s", stats)
	}
	cmd("volunteers", "remove", "2001")
	if _, err := svc.Get(ctx, 2001); err == nil {
		t.Fatal("remove did not remove")
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"volunteers", "-redis", url, "remove", "2001"}, nil, &stdout, &stderr); err == nil {
		t.Fatal("removing an unknown volunteer: no error")
	}
	if err := run(ctx, []string{"volunteers", "list"}, nil, &stdout, &stderr); err == nil && os.Getenv("REDIS_URL") == "" {
		t.Fatal("volunteers without REDIS_URL: no error")
	}
}

func TestParseIDs(t *testing.T) {
	ids, err := parseIDs(" 1, 22 ,,333")
	if err != nil || len(ids) != 3 || ids[2] != 333 {
		t.Fatalf("parseIDs = %v, %v", ids, err)
	}
	if _, err := parseIDs("1,abc"); err == nil {
		t.Fatal("parseIDs accepted abc")
	}
}
