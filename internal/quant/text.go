package quant

import (
	"html"
	"strings"
	"unicode"
)

// PlainText returns s with HTML markup turned into plain text: every tag
// (<...>) is removed, a tag becoming a space so that "A<br>B" reads
// "A B"; character references (&amp;, &#39;) are decoded; runs of Unicode
// white space fold to one space and the ends are trimmed. A '<' that opens
// no tag (no '>' after it) is kept as text. The Senate filings' asset
// descriptions ("LII - Lennox 526107AF4 <div class="text-muted"><em>Rate/Coupon:</em>
// 1.700%<br> ...") are the input it is for.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if j := strings.IndexByte(s[i:], '>'); j > 0 {
				b.WriteByte(' ')
				i += j + 1
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return strings.Join(strings.FieldsFunc(html.UnescapeString(b.String()), unicode.IsSpace), " ")
}
