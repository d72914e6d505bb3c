package telegram_test

import (
	"io"
	"log/slog"
	"strconv"
)

type slogLogger = slog.Logger

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
