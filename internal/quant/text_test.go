package quant

import "testing"

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Apple Inc.", "Apple Inc."},
		{"  Apple \n Inc. ", "Apple Inc."},
		{`LII - Lennox International Inc. 526107AF4 <div class="text-muted"><em>Rate/Coupon:</em> 1.700%<br> <em>Matures:</em> 08/01/27</div>`,
			"LII - Lennox International Inc. 526107AF4 Rate/Coupon: 1.700% Matures: 08/01/27"},
		{`<a href="https://finance.yahoo.com/q?s=AAPL" target="_blank">AAPL</a> Holdings`, "AAPL Holdings"},
		{"A<br>B", "A B"},
		{"AT&amp;T &#39;Inc&#39;", "AT&T 'Inc'"},
		{"1 < 2", "1 < 2"},
		{"x <b>bold</b>", "x bold"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
