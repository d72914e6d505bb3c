package scamcheck

import (
	"net/url"
	"regexp"
	"strings"

	"hocvuso/flows"
)

// Things scammers ask a resident to give away.
var secrets = []pattern{
	{phrase: "mã OTP"}, {phrase: "OTP"}, {phrase: "smart OTP"}, {phrase: "passcode"},
	{phrase: "mật khẩu"}, {phrase: "password"}, {phrase: "mã PIN"}, {phrase: "mã xác thực"},
	{phrase: "mã xác nhận"}, {phrase: "mã kích hoạt"}, {phrase: "mã bảo mật"},
	{phrase: "ảnh căn cước"}, {phrase: "ảnh CCCD"}, {phrase: "chụp căn cước"}, {phrase: "chụp CCCD"},
	{phrase: "mặt trước căn cước"}, {phrase: "ảnh khuôn mặt"}, {phrase: "quét khuôn mặt"},
	{phrase: "2 mặt căn cước"}, {phrase: "hai mặt căn cước"}, {phrase: "ảnh 2 mặt"}, {phrase: "ảnh hai mặt"},
	{phrase: "ảnh chân dung"},
}

// Words that ask for something. "nhập" and "điền" (type in) ask only when the message also
// carries a link: typing a code into the real app is what the app asks for.
var (
	requests     = []pattern{{phrase: "cung cấp"}, {phrase: "gửi"}, {phrase: "đọc"}, {phrase: "nhắn"}, {phrase: "cho biết"}, {phrase: "báo lại"}, {phrase: "chụp"}, {phrase: "chia sẻ"}}
	linkRequests = []pattern{{phrase: "nhập"}, {phrase: "điền"}, {phrase: "xác thực"}}
	// A request right after these words is a warning ("không cung cấp"), or a report that a
	// code was sent ("đã được gửi"), not a request.
	negations = []string{"không", "ko", "đừng", "chớ", "được", "đã", "never"}
	// A sentence with these is a warning as a whole: "Ngân hàng không bao giờ yêu cầu khách
	// hàng cung cấp mật khẩu".
	warnings = []pattern{{phrase: "không bao giờ"}, {phrase: "tuyệt đối không"}, {phrase: "đừng"}, {phrase: "không được"}}
)

// checkSecret: a sentence that names a secret and asks for something.
func checkSecret(m message, links []link, found map[string]string) {
	asks := requests
	if len(links) > 0 {
		asks = append(append([]pattern{}, requests...), linkRequests...)
	}
	for _, sec := range secrets {
		for _, where := range m.find(sec) {
			if m.asksIn(where.s, asks) {
				found[Secret] = sec.phrase
				return
			}
		}
	}
}

// asksIn reports whether sentence s holds a request that is not negated.
func (m message) asksIn(s int, asks []pattern) bool {
	for _, w := range warnings {
		for _, a := range m.find(w) {
			if a.s == s {
				return false
			}
		}
	}
	for _, p := range asks {
		for _, a := range m.find(p) {
			if a.s == s && !m.precededBy(a, 3, negations) {
				return true
			}
		}
	}
	return false
}

// phraseRules are the rules that a phrase alone shows.
var phraseRules = []struct {
	rule     string
	patterns []pattern
}{
	{Money, []pattern{
		{phrase: "chuyển khoản"}, {phrase: "chuyển tiền"}, {phrase: "chuyển gấp"}, {phrase: "nộp tiền"},
		{phrase: "nộp phí"}, {phrase: "đóng phí"}, {phrase: "phí"}, {phrase: "lệ phí"}, {phrase: "đặt cọc"},
		{phrase: "tiền cọc"}, {phrase: "thanh toán"}, {phrase: "nạp tiền"}, {phrase: "số tài khoản"},
		{phrase: "STK"}, {phrase: "vay", strict: true}, {phrase: "vay tiền"}, {phrase: "khoản vay"},
		{phrase: "mượn tiền"}, {phrase: "cho mượn"}, {phrase: "ứng trước"}, {phrase: "tạm ứng"},
		{phrase: "đóng tiền"}, {phrase: "nộp trước"}, {phrase: "trúng thưởng"}, {phrase: "nhận thưởng"},
	}},
	{Pressure, []pattern{
		{phrase: "khẩn cấp"}, {phrase: "gấp", strict: true}, {phrase: "ngay lập tức"}, {phrase: "ngay bây giờ"},
		{phrase: "ngay hôm nay"}, {phrase: "trong ngày hôm nay"}, {phrase: "hết hạn"}, {phrase: "lần cuối"},
		{phrase: "bị khóa"}, {phrase: "bị khoá"}, {phrase: "tạm khóa"}, {phrase: "tạm khoá"},
		{phrase: "khóa tài khoản"}, {phrase: "khoá tài khoản"}, {phrase: "bị phạt"}, {phrase: "xử phạt"},
		{phrase: "bắt giữ"}, {phrase: "bắt tạm giam"}, {phrase: "truy nã"}, {phrase: "triệu tập"},
		{phrase: "khởi tố"}, {phrase: "rửa tiền"}, {phrase: "cưỡng chế"}, {phrase: "cắt điện"},
		{phrase: "ngừng cấp điện"}, {phrase: "đình chỉ"}, {phrase: "cấp cứu"}, {phrase: "tai nạn"},
		{phrase: "bị giữ"}, {phrase: "bất thường"}, {phrase: "phong tỏa"}, {phrase: "phong toả"},
		{phrase: "đóng băng"}, {phrase: "vụ án"},
	}},
	{QR, []pattern{{phrase: "quét mã QR"}, {phrase: "quét QR"}, {phrase: "mã QR"}, {phrase: "QR code"}, {phrase: "quét mã"}}},
}

// deadline catches "trong 24 giờ", "trong vòng 2h", "trong 30 phút" (matched on folded
// words), but not the validity of a real code ("mã có hiệu lực trong 5 phút").
var deadline = regexp.MustCompile(`\b(hieu luc )?trong (vong )?\d+ ?(h|gio|tieng|phut|ngay)\b`)

func checkPhrases(m message, found map[string]string) {
	for _, r := range phraseRules {
		for _, p := range r.patterns {
			if r.rule == Money && p.phrase == "phí" && m.onlyFree() {
				continue
			}
			if len(m.find(p)) > 0 {
				found[r.rule] = p.phrase
				break
			}
		}
	}
	if _, ok := found[Pressure]; !ok {
		for _, d := range deadline.FindAllStringSubmatch(foldedText(m), -1) {
			if d[1] == "" {
				found[Pressure] = d[0]
				break
			}
		}
	}
}

// onlyFree reports whether every "phí" of the message is "miễn phí" (free of charge).
func (m message) onlyFree() bool {
	for _, a := range m.find(pattern{phrase: "phí"}) {
		if !m.precededBy(a, 1, []string{"miễn"}) {
			return false
		}
	}
	return true
}

func foldedText(m message) string {
	var parts []string
	for _, s := range m.sentences {
		parts = append(parts, flows.Fold(strings.Join(s.words, " ")))
	}
	return strings.Join(parts, " . ")
}

// link is a web address found in the text. Nothing is ever fetched.
type link struct{ host string }

// linkRE finds web addresses: with a scheme, anything; without one, a name under a top-level
// domain scammers use, so that "TP.HCM" or "50.000đ" is not taken for a link.
var linkRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"']+|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|vn|info|xyz|top|io|me|cc|co|ly|gl|gd|at|id|biz|online|site|club|app|link|shop|vip|live|asia|tk|ml|ga|cf|gq|pw|icu|store|tech|cn|ru|us|to|in|ws|su|click|today|pro|fun|work|lol|cyou|sbs)\b(?:/[^\s<>"']*)?`)

func (m message) links() []link {
	var out []link
	for _, raw := range linkRE.FindAllString(m.raw, -1) {
		if h := hostOf(raw); h != "" {
			out = append(out, link{host: h})
		}
	}
	return out
}

// hostOf returns the lower-case host of a web address. "https://dichvucong.gov.vn@evil.com"
// has the host evil.com: net/url reads it the way a browser does.
func hostOf(raw string) string {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(strings.TrimRight(raw, ".,;:!?)]}"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// Hosts a link may point to without a warning: the official app stores, the national
// reputation service the bot itself recommends, and the best-known banks. Not being listed
// proves nothing either way; the bot says so.
var trustedHosts = []string{
	"play.google.com", "apps.apple.com", "tinnhiemmang.vn",
	"agribank.com.vn", "vietcombank.com.vn", "bidv.com.vn", "vietinbank.vn", "techcombank.com.vn",
	"mbbank.com.vn", "vpbank.com.vn", "acb.com.vn", "sacombank.com.vn", "tpb.vn",
}

// Link shorteners: the address does not show where it leads.
var shorteners = []string{
	"bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "is.gd", "v.gd", "cutt.ly", "rb.gy",
	"shorturl.at", "tiny.cc", "ow.ly", "s.id", "rebrand.ly", "t.ly", "shorten.asia",
}

// isUnder reports whether host is domain or one of its subdomains.
func isUnder(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

func isAny(host string, domains []string) bool {
	for _, d := range domains {
		if isUnder(host, d) {
			return true
		}
	}
	return false
}

func isStore(host string) bool { return isAny(host, []string{"play.google.com", "apps.apple.com"}) }

// Install words: with a link that is not an app store, the message asks to install from a link.
var installs = []pattern{
	{phrase: "tải ứng dụng"}, {phrase: "cài ứng dụng"}, {phrase: "cài đặt ứng dụng"}, {phrase: "tải app"},
	{phrase: "cài app"}, {phrase: "cài đặt app"}, {phrase: "tải về"}, {phrase: "cài đặt"},
	{phrase: "tải", strict: true}, {phrase: "cài", strict: true}, {phrase: "ứng dụng"},
}

// Words for a link that is sent separately (by Zalo, SMS) rather than written in the message.
var linkWords = []pattern{{phrase: "link"}, {phrase: "đường link"}, {phrase: "đường dẫn"}}

var apkRE = regexp.MustCompile(`(?i)\.apk\b|\bapk\b`)

func checkLinks(m message, links []link, found map[string]string) {
	offStore := false
	for _, l := range links {
		switch {
		case isAny(l.host, shorteners):
			setOnce(found, Short, defang(l.host))
			offStore = true
		case isUnder(l.host, "gov.vn"), isAny(l.host, trustedHosts):
		default:
			setOnce(found, Link, defang(l.host))
			offStore = true
		}
		if !isStore(l.host) && !isUnder(l.host, "gov.vn") {
			offStore = true
		}
	}
	if apkRE.MatchString(m.raw) {
		found[App] = "file .apk"
		return
	}
	// "cài qua link tôi gửi": an install from a link the message only talks about.
	if _, ok := m.first(linkWords); ok {
		offStore = true
	}
	if p, ok := m.first(installs); ok && offStore {
		found[App] = p.phrase
	}
}

func setOnce(found map[string]string, rule, evidence string) {
	if _, ok := found[rule]; !ok {
		found[rule] = evidence
	}
}

// defang writes a host so that no app turns it into a link: "evil[.]com".
func defang(host string) string { return strings.ReplaceAll(host, ".", "[.]") }
