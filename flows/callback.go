package flows

import (
	"strconv"
	"strings"
)

// Callback data is compact so it always fits Telegram's 64 bytes: "<token>.<choice>" for a
// choice of the step shown with that prompt token (base 36), "l:<tag>" for the language picker.
// The server resolves what a choice means, so a button from an old message is recognised as
// stale by its token instead of acting on a step the resident has left.

const maxToken = ^uint32(0)

const langPrefix = "l:"

// EncodePress returns the callback data for choice i of the step shown with token.
func EncodePress(token uint32, i int) string {
	return strconv.FormatUint(uint64(token), 36) + "." + strconv.Itoa(i)
}

// DecodePress parses callback data made by EncodePress.
func DecodePress(data string) (token uint32, i int, ok bool) {
	t, c, found := strings.Cut(data, ".")
	if !found || t == "" || c == "" || len(data) > MaxCallbackDataLen {
		return 0, 0, false
	}
	tok, err := strconv.ParseUint(t, 36, 32)
	if err != nil {
		return 0, 0, false
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 0 || n >= 100 {
		return 0, 0, false
	}
	return uint32(tok), n, true
}

// EncodeLang returns the callback data of a language picker button.
func EncodeLang(tag string) string { return langPrefix + tag }

// DecodeLang parses callback data made by EncodeLang.
func DecodeLang(data string) (string, bool) {
	tag, ok := strings.CutPrefix(data, langPrefix)
	return tag, ok && tag != ""
}
