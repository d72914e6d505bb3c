package telegram

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"time"
)

// newHTTPClient keeps connections alive and sized for concurrency: go-telegram/bot's default
// client opened a new TCP connection for most Bot API calls under load.
func newHTTPClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Transport: bufferBodies{next: tr}, Timeout: timeout}
}

// maxBufferedBody bounds the request bodies bufferBodies reads ahead. Our calls are a few
// kilobytes; a photo upload of a QR card is tens.
const maxBufferedBody = 1 << 20

// bufferBodies reads a request body of unknown length into memory before sending it, so that
// it goes out with a Content-Length in one write. go-telegram/bot streams every call's
// multipart form through an io.Pipe: without a length, net/http sends it chunked and flushes
// the socket after every chunk, which is after every form field: a dozen write(2) calls per
// sendMessage, a third of the bot's CPU time under load (see BENCHMARKS.md).
type bufferBodies struct {
	next http.RoundTripper
}

func (b bufferBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength != 0 {
		return b.next.RoundTrip(req)
	}
	buf := bytes.NewBuffer(make([]byte, 0, 2048))
	n, err := io.Copy(buf, io.LimitReader(req.Body, maxBufferedBody+1))
	if err != nil {
		_ = req.Body.Close()
		return nil, err
	}
	if n > maxBufferedBody {
		// Too big to hold: send what was read, then the rest as it comes.
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf.Bytes()), req.Body), req.Body}
		return b.next.RoundTrip(req)
	}
	_ = req.Body.Close()
	body := buf.Bytes()
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return b.next.RoundTrip(r2)
}
