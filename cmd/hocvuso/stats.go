package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
)

// runStats is `hocvuso stats`: the operator's totals per guide and language (starts,
// completions, the step where most stop) and per commune. Counts only: no resident is named.
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	redisURL := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL ($REDIS_URL)")
	vc := volunteerFlags(fs, "require-approval")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, lib, err := content(nil, "")
	if err != nil {
		return err
	}
	st, closeStore, err := operatorStore(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer closeStore()
	svc := vc.service(st.Client(), slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), st.Prefix())
	funnel, communes, err := svc.Totals(ctx, lib)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GUIDE\tLANG\tSTARTED\tFINISHED\tMOST STOP AT\tTHERE")
	for _, r := range funnel {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\n", r.Flow, r.Lang, r.Starts, r.Done, dash(r.DropStep), r.DropCount)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "COMMUNE\tGUIDE\tSTARTED\tFINISHED\t\t")
	for _, r := range communes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\t\n", r.Commune, r.Flow, r.Starts, r.Done)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("error printing stats: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
