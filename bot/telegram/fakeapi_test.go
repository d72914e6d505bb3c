package telegram_test

import (
	"testing"

	"hocvuso/bot/bottest"
)

// fakeAPI is bottest's fake Bot API server with the few helpers these tests share.
type fakeAPI struct{ *bottest.Server }

type apiCall = bottest.Call

func newFakeAPI(t testing.TB) *fakeAPI { return &fakeAPI{bottest.New(t)} }

// push queues updates (raw JSON) for getUpdates.
func (f *fakeAPI) push(updates ...string) {
	raw := make([][]byte, len(updates))
	for i, u := range updates {
		raw[i] = []byte(u)
	}
	f.Push(raw...)
}

// on lets fn answer every later call of method (nil: the normal answer).
func (f *fakeAPI) on(method string, fn bottest.Hook) { f.Hook(method, fn) }

func (f *fakeAPI) callsOf(method string) []apiCall { return f.Calls(method) }

// texts returns the texts a chat received (sendMessage text and sendPhoto caption), in order;
// calls that got an error answer did not deliver anything.
func (f *fakeAPI) texts(chatID int64) []string {
	var out []string
	for _, c := range f.Calls("") {
		if (c.Method == "sendMessage" || c.Method == "sendPhoto") && !c.Failed && c.Params["chat_id"] == fmtInt(chatID) {
			out = append(out, c.Params["text"]+c.Params["caption"])
		}
	}
	return out
}

// ackedOffset is the offset getUpdates last confirmed: every update below it is acknowledged.
func (f *fakeAPI) ackedOffset() int64 { return f.Offset() }

func (f *fakeAPI) setWebhook(url string) { f.SetWebhookURL(url) }

// callsFrom returns the calls of method made by the replica tagged name (see tagTransport).
func (f *fakeAPI) callsFrom(method, name string) []apiCall {
	var out []apiCall
	for _, c := range f.Calls(method) {
		if c.Header.Get("X-Replica") == name {
			out = append(out, c)
		}
	}
	return out
}
