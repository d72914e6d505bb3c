package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"hocvuso/bot/session"
	"hocvuso/bot/volunteer"
)

// volunteerConfig is the volunteer part of the configuration, shared by serve, chat and the
// operator subcommands.
type volunteerConfig struct {
	BotUsername     string
	HelpChatID      int64
	HelpTimeout     time.Duration
	RequireApproval bool
	Admins          []int64
	GroupLang       string
	envErr          error // a malformed environment variable, reported by check
}

// check reports configuration errors flags could not: ADMIN_IDS or VOLUNTEER_CHAT_ID that
// are not numbers, an unknown card language.
func (c *volunteerConfig) check(langs []string) error {
	if c.envErr != nil {
		return c.envErr
	}
	for _, l := range langs {
		if l == c.GroupLang {
			return nil
		}
	}
	return fmt.Errorf("VOLUNTEER_LANG %q is not one of %s", c.GroupLang, strings.Join(langs, ", "))
}

// volunteerFlags registers the volunteer flags on fs, with defaults from the environment:
// all of them, or only those named (an operator's subcommand shows in -h only what it uses;
// the environment still sets the rest).
func volunteerFlags(fs *flag.FlagSet, only ...string) *volunteerConfig {
	all := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	c := registerVolunteerFlags(all)
	all.VisitAll(func(f *flag.Flag) {
		if len(only) == 0 || slices.Contains(only, f.Name) {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	return c
}

func registerVolunteerFlags(fs *flag.FlagSet) *volunteerConfig {
	c := &volunteerConfig{
		BotUsername: strings.TrimPrefix(os.Getenv("BOT_USERNAME"), "@"),
		HelpTimeout: envDuration("HELP_TIMEOUT", volunteer.DefaultHelpTimeout),
		GroupLang:   envOr("VOLUNTEER_LANG", "vi"),
	}
	var errs []error
	if v := os.Getenv("VOLUNTEER_CHAT_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		errs = append(errs, wrapEnv("VOLUNTEER_CHAT_ID", err))
		c.HelpChatID = id
	}
	if v := os.Getenv("REQUIRE_APPROVAL"); v != "" {
		b, err := strconv.ParseBool(v)
		errs = append(errs, wrapEnv("REQUIRE_APPROVAL", err))
		c.RequireApproval = b
	}
	ids, err := parseIDs(os.Getenv("ADMIN_IDS"))
	errs = append(errs, err)
	c.Admins = ids
	c.envErr = errors.Join(errs...)
	fs.StringVar(&c.BotUsername, "bot", c.BotUsername, "bot username for deep links ($BOT_USERNAME; serve asks Telegram)")
	fs.Int64Var(&c.HelpChatID, "volunteer-chat", c.HelpChatID, "volunteers' group for help cards ($VOLUNTEER_CHAT_ID); 0: no \"ask a volunteer\"")
	fs.DurationVar(&c.HelpTimeout, "help-timeout", c.HelpTimeout, "how long a help request waits for a volunteer ($HELP_TIMEOUT)")
	fs.BoolVar(&c.RequireApproval, "require-approval", c.RequireApproval, "count a volunteer's links only once approved ($REQUIRE_APPROVAL)")
	fs.StringVar(&c.GroupLang, "volunteer-lang", c.GroupLang, "language of help cards in the volunteers' group ($VOLUNTEER_LANG)")
	fs.Func("admins", "Telegram ids allowed to use /stats, comma-separated ($ADMIN_IDS)", func(s string) error {
		ids, err := parseIDs(s)
		c.Admins = ids
		return err
	})
	return c
}

func wrapEnv(name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// parseIDs reads "123, 456".
func parseIDs(s string) ([]int64, error) {
	var out []int64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ADMIN_IDS: %q is not a Telegram id", part)
		}
		out = append(out, id)
	}
	return out, nil
}

// service returns the volunteer service for this configuration.
func (c *volunteerConfig) service(rdb redis.UniversalClient, log *slog.Logger, prefix string) *volunteer.Service {
	return volunteer.New(rdb, volunteer.Config{
		BotUsername: c.BotUsername, HelpChatID: c.HelpChatID, HelpTimeout: c.HelpTimeout,
		RequireApproval: c.RequireApproval, Admins: c.Admins, GroupLang: c.GroupLang,
	}, volunteer.WithLogger(log), volunteer.WithPrefix(prefix))
}

// operatorStore connects to REDIS_URL for an operator subcommand: there is no point in an
// empty embedded store here.
func operatorStore(ctx context.Context, url string) (*session.Store, func(), error) {
	if url == "" {
		return nil, nil, fmt.Errorf("REDIS_URL (or -redis) is required: the volunteers live there")
	}
	return store(ctx, url, false, session.DefaultTTL)
}

// runVolunteers is `hocvuso volunteers list|remove ID|approve ID`.
func runVolunteers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("volunteers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL ($REDIS_URL)")
	vc := volunteerFlags(fs, "require-approval")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hocvuso volunteers [flags] list | remove ID | approve ID")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	verb, rest := fs.Arg(0), fs.Args()
	if verb == "" {
		fs.Usage()
		return exitCode(2)
	}
	st, closeStore, err := operatorStore(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer closeStore()
	svc := vc.service(st.Client(), slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), st.Prefix())
	switch verb {
	case "list":
		return listVolunteers(ctx, svc, stdout)
	case "remove", "approve":
		if len(rest) != 2 {
			return fmt.Errorf("usage: hocvuso volunteers %s ID", verb)
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a Telegram id", rest[1])
		}
		return changeVolunteer(ctx, svc, verb, id, stdout)
	}
	fs.Usage()
	return exitCode(2)
}

func listVolunteers(ctx context.Context, svc *volunteer.Service, stdout io.Writer) error {
	vols, err := svc.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCOMMUNE\tREGISTERED\tAPPROVED\tREF")
	for _, v := range vols {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%s\n", v.ID, v.Name, v.Commune, v.At.Format("2006-01-02"), v.Approved, v.Ref)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("error printing volunteers: %w", err)
	}
	fmt.Fprintf(stdout, "%d volunteers\n", len(vols))
	return nil
}

func changeVolunteer(ctx context.Context, svc *volunteer.Service, verb string, id int64, stdout io.Writer) error {
	var err error
	if verb == "remove" {
		err = svc.Remove(ctx, id)
	} else {
		_, err = svc.Approve(ctx, id)
	}
	if errors.Is(err, volunteer.ErrNotFound) {
		return fmt.Errorf("no volunteer has id %d", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "volunteer %d: %sd\n", id, verb)
	return nil
}
