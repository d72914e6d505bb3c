package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/volunteer/qrcard"
)

// runShare is `hocvuso share GUIDE`: it prints the guide's deep link and writes its QR card
// (PNG, the guide's name under the code) to a file, for posters and flyers. With -volunteer,
// the link carries that volunteer's referral code (their record is read from REDIS_URL).
func runShare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "PNG file to write (default GUIDE-qr.png)")
	lang := fs.String("lang", "vi", "language of the guide's name on the card")
	volID := fs.Int64("volunteer", 0, "Telegram id of the volunteer whose referral code the link carries (needs REDIS_URL)")
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL ($REDIS_URL), only with -volunteer")
	vc := volunteerFlags(fs, "bot")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hocvuso share [flags] GUIDE")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cat, lib, err := content(nil, "")
	if err != nil {
		return err
	}
	id := strings.ToLower(fs.Arg(0))
	f := lib.Flow(id)
	if f == nil {
		var ids []string
		for _, f := range lib.Flows() {
			ids = append(ids, f.ID)
		}
		return fmt.Errorf("unknown guide %q (have: %s)", id, strings.Join(ids, ", "))
	}
	vc.BotUsername = strings.TrimPrefix(vc.BotUsername, "@")
	if vc.BotUsername == "" {
		return fmt.Errorf("the bot's username is needed for the link: -bot NAME or BOT_USERNAME")
	}
	if !botUsernameRE.MatchString(vc.BotUsername) {
		// A link pasted instead of the name would print a broken link on every poster.
		return fmt.Errorf("%q is not a bot username: give the name only, 5 to 32 letters, digits or _ (e.g. hocvuso_bot)", vc.BotUsername)
	}
	if !cat.Supports(*lang) {
		return fmt.Errorf("unknown language %q (have: %s)", *lang, strings.Join(cat.Languages(), ", "))
	}
	var rdb redis.UniversalClient
	if *volID != 0 {
		st, closeStore, err := operatorStore(ctx, *redisURL)
		if err != nil {
			return err
		}
		defer closeStore()
		rdb = st.Client()
		if _, err := vc.service(rdb, slog.Default(), "hv").Get(ctx, *volID); err != nil {
			return fmt.Errorf("volunteer %d: %w", *volID, err)
		}
	}
	svc := vc.service(rdb, slog.Default(), "hv")
	link, err := svc.ShareLink(ctx, f.ID, *volID)
	if err != nil {
		return err
	}
	title := qrcard.Printable(plainTitle(cat.Text(*lang, f.Title)))
	png, err := qrcard.PNG(link, title)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = f.ID + "-qr.png"
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("error writing QR card: %w", err)
	}
	fmt.Fprintln(stdout, link)
	fmt.Fprintf(stdout, "QR card: %s (%d bytes)\n", path, len(png))
	return nil
}

func plainTitle(s string) string { return PlainText(s, false) }

// botUsernameRE is a Telegram username: 5 to 32 letters, digits and underscores.
var botUsernameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{4,31}$`)
