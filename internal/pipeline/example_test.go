package pipeline_test

import (
	"fmt"

	"github.com/counternet/counternet/internal/pipeline"
)

func ExampleSite_Extract() {
	site, err := pipeline.Parse("example.yaml", []byte(`
version: 1
name: example
pipeline_version: 1
kind: market
mirrors: [http://127.0.0.1:8080]
start: [{path: /, page: index}]
pages:
  index:
    follow:
      - {selector: "a.title", page: index}
    records:
      - type: listing
        item: div.card
        fields:
          listing_id: {selector: a.title, attr: href, regex: '/p/(\w+)'}
          price:      {selector: span.price}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	page := `<div class="card"><a class="title" href="/p/a1">A</a><span class="price">$45.00</span></div>`
	res, err := site.Extract("index", "http://127.0.0.1:8080/", []byte(page))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Records {
		fmt.Println(site.ID(), r.Type, r.Get("listing_id"), r.Fields["price"].Raw, r.Fields["price"].Parser)
	}
	fmt.Println(res.Links)
	// Output:
	// example@1 listing a1 $45.00 money
	// [{http://127.0.0.1:8080/p/a1 index}]
}
