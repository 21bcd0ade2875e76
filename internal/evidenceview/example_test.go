package evidenceview_test

import (
	"fmt"

	"github.com/counternet/counternet/internal/evidenceview"
)

func ExampleSanitize() {
	page := `<html><head><title>Listing</title><script>steal()</script></head>
<body onload="steal()"><h1>MDMA 1g</h1><img src="http://market.onion/p.jpg" alt="photo">
<a href="/vendor/dutchmagic">DutchMagic</a></body></html>`
	out, rep, err := evidenceview.Sanitize([]byte(page), "text/html; charset=utf-8")
	fmt.Println(string(out))
	fmt.Println(rep.Title, rep.Scripts(), err)
	// Output:
	// <h1>MDMA 1g</h1><span class="ev-ref">[image: photo]</span><span class="ev-ref">[image source: http://market.onion/p.jpg]</span>
	// <span class="ev-link">DutchMagic</span><span class="ev-ref">[link: /vendor/dutchmagic]</span>
	// Listing 2 <nil>
}
