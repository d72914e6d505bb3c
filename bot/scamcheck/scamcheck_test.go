package scamcheck

import (
	"slices"
	"strings"
	"testing"
)

// Messages written for this test: the patterns police and information-security warnings
// describe (content brief §4), and everyday messages residents receive. Each lists exactly
// the rules it must trigger.
var examples = []struct {
	name string
	text string
	want []string
}{
	// Scams.
	{"fake police, VNeID app and OTP",
		"Công an xã thông báo: tài khoản định danh của bạn sắp bị khóa. Tải ứng dụng VNeID mới tại http://vneid-capnhat.com/app.apk và đọc mã OTP cho cán bộ để kích hoạt mức 2.",
		[]string{Secret, App, Link, Pressure}},
	{"commune merger update, no diacritics",
		"Cong an phuong moi thong bao: de cap nhat thong tin sau sap nhap xa, vui long truy cap https://capnhat-dancu.info va nhap mat khau VNeID trong ngay hom nay",
		[]string{Secret, Link, Pressure}},
	{"fake shipper fee",
		"Shop giao hàng: đơn của bạn cần thanh toán phí ship 25.000đ. Chuyển khoản vào STK 0123456789 để nhận hàng.",
		[]string{Money}},
	{"subscription cancel link",
		"Ban da dang ky goi dich vu 199.000d/thang. De huy dich vu bam vao bit.ly/huy-goi-dv",
		[]string{Short}},
	{"loan approval fee",
		"Vay nhanh 50 triệu không cần thế chấp, duyệt trong 5 phút. Chỉ cần đóng phí hồ sơ 500.000đ trước khi giải ngân.",
		[]string{Money, Pressure}},
	{"greeting with diacritics, the ask without",
		"Chào bác! Vui long doc ma OTP vua gui den dien thoai cho em de nhan qua",
		[]string{Secret}},
	{"fake police, install through a link sent on Zalo",
		"Tôi là cán bộ công an, anh cần cài VNeID bản mới qua link zalo tôi gửi.",
		[]string{App}},
	{"ID card photos",
		"Gửi ảnh 2 mặt căn cước để xác minh.",
		[]string{Secret}},
	{"prize with a fee first",
		"Chúc mừng quý khách trúng thưởng xe SH. Vui lòng nộp trước thuế 2 triệu để nhận xe.",
		[]string{Money}},
	{"loan app from a link",
		"Tải app Vay Dễ tại https://vaynhanh247.top để nhận tiền về tài khoản.",
		[]string{App, Link, Money}},
	{"relative in hospital",
		"Mẹ ơi con đang cấp cứu ở bệnh viện, mẹ chuyển gấp cho con 10 triệu vào số tài khoản này nhé",
		[]string{Money, Pressure}},
	{"electricity cut and QR",
		"Điện lực thông báo: quý khách nợ tiền điện, sẽ bị cắt điện. Quét mã QR đính kèm để thanh toán.",
		[]string{Money, Pressure, QR}},
	{"police summons by phone",
		"Đây là Công an quận. Bạn có liên quan đến đường dây rửa tiền và sẽ bị bắt giữ nếu không chuyển tiền để xác minh.",
		[]string{Money, Pressure}},
	{"prize fee",
		"Chúc mừng bạn trúng thưởng xe máy! Nộp phí nhận thưởng 2.000.000đ để nhận giải.",
		[]string{Money}},
	{"fake bank login page, no diacritics",
		"Vietcombank: Tai khoan cua quy khach bi tam khoa. Vui long dang nhap tai vietcombank-xacthuc.com de mo lai.",
		[]string{Link, Pressure}},
	{"look-alike of a government address",
		"Cổng dịch vụ công: hồ sơ của bạn bị lỗi, cập nhật tại https://dichvucong.gov.vn.hoso-online.xyz/capnhat",
		[]string{Link}},
	{"government name before an @",
		"Xem thông báo tại https://dichvucong.gov.vn@thongbao-hoso.net/xem",
		[]string{Link}},
	{"QR sticker for a charity",
		"Bà con quét mã QR này để ủng hộ quỹ từ thiện của xóm.",
		[]string{QR}},
	{"friend asks to read back an OTP",
		"Em ơi chị lỡ để mã OTP gửi nhầm về số em, em đọc lại mã giúp chị với",
		[]string{Secret}},
	{"ID card photo over Zalo",
		"Cán bộ hỗ trợ định danh mức 2: bạn gửi ảnh căn cước hai mặt qua Zalo cho mình nhé.",
		[]string{Secret}},
	{"parcel held, shortened link, deadline",
		"Bưu điện: bưu phẩm của bạn đang bị giữ do sai địa chỉ. Cập nhật tại https://bit.ly/3xYzAb trong 12 giờ.",
		[]string{Short, Pressure}},
	{"account locked in 24h, no diacritics",
		"Tai khoan ngan hang cua ban se bi khoa trong 24h neu khong xac minh. Goi lai so 0912345678",
		[]string{Pressure}},

	// Everyday messages.
	{"village meeting", "Mai 7 giờ sáng họp thôn ở nhà văn hóa, bà con nhớ đi đầy đủ nhé.", nil},
	{"dinner", "Con ơi tối nay về ăn cơm không? Mẹ nấu canh chua.", nil},
	{"real OTP SMS warns not to share it",
		"Ma OTP cua ban la 482913. Tuyet doi KHONG cung cap ma nay cho bat ky ai, ke ca nhan vien ngan hang.", nil},
	{"bank says never give the password",
		"Ngân hàng không bao giờ yêu cầu khách hàng cung cấp mật khẩu hay mã OTP qua điện thoại.", nil},
	{"dossier received on the national portal",
		"Hồ sơ của bạn trên dichvucong.gov.vn đã được tiếp nhận. Mã hồ sơ: G22.99-241203-0001.", nil},
	{"balance change SMS", "Agribank: TK 1234xxx789 +500,000VND luc 10:15 03/12. SD: 2,350,000VND. ND: me gui tien hoc", nil},
	{"VNeID help day at the commune",
		"Chiều nay cán bộ xã đến hướng dẫn cài VNeID tại nhà văn hóa, nhớ mang theo căn cước và điện thoại.", nil},
	{"store link for VNeID", "Tải VNeID trên CH Play: https://play.google.com/store/apps/details?id=com.vnid", nil},
	{"vaccination reminder", "Nhắc lịch: tiêm phòng cho trẻ tại trạm y tế xã thứ Bảy này, mang sổ tiêm chủng.", nil},
	{"free health check", "Trạm y tế khám sức khỏe miễn phí cho người cao tuổi vào sáng Chủ nhật.", nil},
	{"new year wishes, no diacritics", "Chuc mung nam moi! Chuc ca nha an khang thinh vuong, vay nhe", nil},
	{"real one-time code SMS with its validity",
		"Ma xac thuc cua ban la 123456. Ma co hieu luc trong 5 phut. Khong cung cap ma cho bat ky ai.", nil},
	{"bank staff asks for the OTP to cancel an unusual payment",
		"Chúng tôi là nhân viên ngân hàng, tài khoản của bạn có giao dịch bất thường, vui lòng đọc mã OTP để hủy giao dịch.",
		[]string{Secret, Pressure}},
	{"fake electricity staff with a code",
		"Em chào anh, em bên điện lực, nhà mình chưa đóng tiền điện, anh quét mã này giúp em",
		[]string{Money, QR}},
	{"city abbreviation is not a link", "Cháu đã đến TP.HCM an toàn, mai cháu gọi lại nhé.", nil},
	{"harmless link is still named", "Link nhóm lớp của cháu đây: https://zalo.me/g/abc123", []string{Link}},
}

func TestCheckExamples(t *testing.T) {
	if len(examples) < 20 {
		t.Fatalf("only %d examples, want at least 20", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			var got []string
			for _, f := range Check(ex.text) {
				got = append(got, f.Rule)
				if f.Evidence == "" {
					t.Errorf("rule %s has no evidence", f.Rule)
				}
				if f.Advice == "" {
					t.Errorf("rule %s has no advice", f.Rule)
				}
			}
			if !slices.Equal(got, ex.want) {
				t.Errorf("Check(%q)\n got rules %v\nwant rules %v", ex.text, got, ex.want)
			}
		})
	}
}

func TestCheckEvidence(t *testing.T) {
	tests := []struct {
		text, rule, want string
	}{
		{"Vui long cung cap mat khau ngay", Secret, "mật khẩu"},
		{"Truy cập http://Evil-Site.COM/login để nhận quà", Link, "evil-site[.]com"},
		{"Xem tại https://dichvucong.gov.vn@evil.net/x", Link, "evil[.]net"},
		{"bấm vào tinyurl.com/abc", Short, "tinyurl[.]com"},
		{"Cài bản mới: vneid.apk", App, "file .apk"},
		{"Hạn chót trong vòng 2 giờ nữa", Pressure, "trong vong 2 gio"},
	}
	for _, tc := range tests {
		got := ""
		for _, f := range Check(tc.text) {
			if f.Rule == tc.rule {
				got = f.Evidence
			}
		}
		if got != tc.want {
			t.Errorf("Check(%q): evidence for %s = %q, want %q", tc.text, tc.rule, got, tc.want)
		}
	}
}

// A decomposed (NFD) message, as some keyboards type it, matches like a composed one.
func TestCheckDecomposed(t *testing.T) {
	composed := "Vui lòng cung cấp mật khẩu"
	decomposed := "Vui lo\u0300ng cung c\u00e2\u0301p m\u00e2\u0323t kh\u00e2\u0309u"
	if strings.EqualFold(composed, decomposed) {
		t.Fatal("test strings should differ in bytes")
	}
	a, b := Check(composed), Check(decomposed)
	if len(a) != 1 || !slices.Equal(a, b) {
		t.Errorf("composed %v, decomposed %v: want the same single finding", a, b)
	}
}

// No finding ever echoes a link in a form a chat app would make clickable.
func TestEvidenceNeverLinks(t *testing.T) {
	for _, ex := range examples {
		for _, f := range Check(ex.text) {
			bare := strings.ReplaceAll(f.Evidence, "[.]", "")
			if strings.Contains(f.Evidence, "://") || (strings.Contains(bare, ".") && f.Rule != App) {
				t.Errorf("%s: evidence %q of %s could be a link", ex.name, f.Evidence, f.Rule)
			}
		}
	}
}

func TestEveryRuleHasAdvice(t *testing.T) {
	for _, r := range Rules {
		if advice[r] == "" {
			t.Errorf("rule %s has no advice", r)
		}
	}
}
