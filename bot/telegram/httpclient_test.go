package telegram

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBufferBodies: a body of unknown length (go-telegram/bot streams its forms through a
// pipe) arrives whole with a Content-Length, not chunked; a body over the bound still
// arrives whole, streamed.
func TestBufferBodies(t *testing.T) {
	type got struct {
		length  int64
		chunked bool
		body    string
	}
	seen := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- got{r.ContentLength, len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked", string(b)}
	}))
	defer srv.Close()
	client := newHTTPClient(5 * time.Second)
	for _, tc := range []struct {
		name     string
		size     int
		buffered bool
	}{{"small", 3000, true}, {"over the bound", maxBufferedBody + 10, false}} {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.Repeat("x", tc.size)
			pr, pw := io.Pipe()
			go func() {
				for i := 0; i < len(want); i += 100 { // many small writes, as a multipart form
					_, _ = pw.Write([]byte(want[i:min(i+100, len(want))]))
				}
				_ = pw.Close()
			}()
			req, err := http.NewRequest(http.MethodPost, srv.URL, pr)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			g := <-seen
			if g.body != want {
				t.Fatalf("the server got %d bytes, want %d", len(g.body), len(want))
			}
			if tc.buffered && (g.chunked || g.length != int64(tc.size)) {
				t.Errorf("chunked %v, Content-Length %d; want one body of %d bytes", g.chunked, g.length, tc.size)
			}
			if !tc.buffered && !g.chunked {
				t.Errorf("a body over the bound was not streamed")
			}
		})
	}
}
