package i18n

import "testing"

func TestCheckHTML(t *testing.T) {
	ok := []string{
		"plain text",
		"<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>i</ins> <s>s</s> <strike>s</strike> <del>d</del>",
		`<a href="https://dichvucong.gov.vn">link</a>`,
		`<a href="tg://user?id=1">user</a>`,
		"<code>1900 0368</code>",
		`<pre><code class="language-go">x</code></pre>`,
		"<blockquote>q</blockquote>",
		"<blockquote expandable>q</blockquote>",
		"<tg-spoiler>s</tg-spoiler>",
		`<span class="tg-spoiler">s</span>`,
		"<b>nested <i>fine</i></b>",
		"&lt; &gt; &amp; &quot; &#39; &#x1F600;",
		"Cá nhân → Quản lý",
	}
	for _, s := range ok {
		if err := CheckHTML(s); err != nil {
			t.Errorf("CheckHTML(%q) = %v, want ok", s, err)
		}
	}
	bad := []string{
		"<b>unclosed",
		"closed</b>",
		"<b><i>crossed</b></i>",
		"<p>paragraph</p>",
		"<br>",
		"<B>upper</B>",
		`<a>no href</a>`,
		`<a href="http://insecure">x</a>`,
		`<a href="https://x" target="_blank">x</a>`,
		`<span>x</span>`,
		`<span class="red">x</span>`,
		`<blockquote expandable="yes">x</blockquote>`,
		"<blockquote>a<blockquote>b</blockquote></blockquote>",
		"<code><b>x</b></code>",
		"<pre><b>x</b></pre>",
		"a < b",
		"a > b",
		"Tí & Tèo",
		"&nbsp;",
	}
	for _, s := range bad {
		if err := CheckHTML(s); err == nil {
			t.Errorf("CheckHTML(%q) accepted it", s)
		}
	}
}
