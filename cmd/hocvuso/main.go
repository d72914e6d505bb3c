// Command hocvuso is the Telegram bot that teaches digital skills step by step, and its tools.
//
//	hocvuso serve    serve Telegram (long polling, or a webhook when WEBHOOK_URL is set)
//	hocvuso chat     chat with the bot in the terminal (same engine, flows and languages)
//	hocvuso check    validate the flow files and catalogs
//	hocvuso i18n     translation sheets and catalog coverage
//	hocvuso share    print a guide's deep link and write its QR card
//	hocvuso stats    totals per guide, language and commune
//	hocvuso volunteers list|remove|approve
//	hocvuso bench    measure the bot in webhook mode under simulated residents
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hocvuso: a patient helper for digital skills, on Telegram and in the terminal.

Usage:
  hocvuso serve [flags]   serve Telegram (needs TELEGRAM_BOT_TOKEN and REDIS_URL)
  hocvuso chat [flags]    chat with the bot in this terminal
  hocvuso check [dir]     validate flow files (default: the built-in library) and catalogs
  hocvuso i18n ...        translation sheets for volunteers; coverage per language
  hocvuso share GUIDE     print a guide's deep link and write its QR card (PNG)
  hocvuso stats           starts, completions and drop-off per guide, language, commune
  hocvuso volunteers list | remove ID | approve ID
  hocvuso bench [flags]   measure the whole bot under load, against a minimal floor bot

Run "hocvuso <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once instead of waiting for
	// the graceful drain.
	context.AfterFunc(ctx, stop)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	var ec exitCode
	if errors.As(err, &ec) {
		os.Exit(int(ec))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hocvuso:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with a code after the command has printed its own report.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit code %d", int(e)) }

// run dispatches a subcommand. Tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "chat":
		return runChat(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "i18n":
		return runI18n(args[1:], stdout, stderr)
	case "share":
		return runShare(ctx, args[1:], stdout, stderr)
	case "stats":
		return runStats(ctx, args[1:], stdout, stderr)
	case "volunteers":
		return runVolunteers(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "bench-bot": // the bot process hocvuso bench starts
		return runBenchBot(ctx, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return exitCode(2)
}
