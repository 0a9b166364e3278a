package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOfflineSaysWhatItCannotRead(t *testing.T) {
	items := []Item{
		{ID: "en", Text: "Delivery was late and the battery died."},
		{ID: "ja", Text: "配送が遅くて、電池もすぐ切れました。"},
		{ID: "fr", Text: "Livraison très lente, la batterie ne tient pas."},
		{ID: "de", Text: "Lieferung kam zu spät, der Akku hält nicht lange."},
		{ID: "es", Text: "El envío tardó mucho y la batería dura poco."},
		{ID: "emoji", Text: "📦🐌👎 🔋💀"},
		{ID: "zh", Text: "快递太慢了，电池也不耐用。"},
		{ID: "ru", Text: "Доставка была долгой, батарея быстро садится."},
		{ID: "en-short", Text: "Great price."},
		{ID: "en-none", Text: "Meh."},
		{ID: "en-borrowed", Text: "The price is fine, c'est la vie."},
		{ID: "ja-hit", Text: "iPhoneのbatteryが弱い"},
	}
	res, err := NewOffline().Extract(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ja": "Japanese", "fr": "French", "de": "German", "es": "Spanish", "emoji": "emoji",
		"zh": "Han", "ru": "Cyrillic",
	}
	for _, r := range res {
		w, bad := want[r.ID]
		switch {
		case bad && (!errors.Is(r.Err, ErrNotCovered) || !strings.Contains(r.Err.Error(), w) || !strings.Contains(r.Err.Error(), "English")):
			t.Errorf("%s: got %v %v, want ErrNotCovered naming %s", r.ID, r.Themes, r.Err, w)
		case !bad && r.Err != nil:
			t.Errorf("%s: %v", r.ID, r.Err)
		}
	}
	if th := res[0].Themes; len(th) != 2 {
		t.Errorf("en: %v", th)
	}
	if th := res[len(res)-1].Themes; len(th) != 1 || th[0] != "battery life" {
		t.Errorf("a hit in a mixed-script review is kept: %v", th)
	}
}
